import { getPracticeByOds } from '../../db/queries/practices.js'
import { listFindingDetails } from '../../db/queries/findings.js'
import { refreshFindings } from '../../core/findings/refresh.js'
import { getRule } from '../../core/findings/index.js'
import { englandToday } from '../../core/period-presets.js'
import { UserError, withLedger } from '../context.js'
import { printTable } from '../format.js'
import type { Command } from 'commander'
import { ods } from '../options.js'

/** `ledger findings [list]|refresh`: the compliance findings (docs/decisions/008). */
export function register(program: Command): void {
  const findingsCmd = program.command('findings').description('compliance findings: the rules the privacy notices promise, checked')
  findingsCmd
    .command('list', { isDefault: true })
    .description('list open findings, most severe first (the default)')
    .option('--practice <ODS>', "one practice's findings", ods)
    .option('--json', 'print JSON, with the evidence of each finding')
    .action((o) =>
      withLedger(async ({ db }) => {
        let practiceIds: number[] | undefined
        if (o.practice) {
          const practice = await getPracticeByOds(db, o.practice)
          if (!practice) throw new UserError(`There is no practice with ODS code ${o.practice}.`)
          practiceIds = [practice.id]
        }
        const rows = await listFindingDetails(db, { status: 'open', practiceIds })
        if (o.json) {
          console.log(
            JSON.stringify(
              rows.map((f) => ({
                id: f.id,
                ruleId: f.ruleId,
                severity: f.severity,
                practice: f.practiceOds,
                subjectKey: f.subjectKey,
                summary: f.summary,
                evidence: f.evidence,
                status: f.status,
                openedAt: f.openedAt,
                title: getRule(f.ruleId)?.title ?? null,
              })),
            ),
          )
        } else {
          printTable(
            rows.map((f) => ({
              id: f.id,
              severity: f.severity,
              rule: f.ruleId,
              practice: f.practiceOds ?? '',
              opened: englandToday(f.openedAt), // the day in England, not UTC
              summary: f.summary,
            })),
          )
        }
      }),
    )
  findingsCmd
    .command('refresh')
    .description('bring findings up to date now (collect does this too); --full re-checks every record')
    .option('--full', 'full re-evaluation instead of only what changed since the last one')
    .option('--practice <ODS...>', 'with --full: only these practices')
    .option('--json', 'print JSON')
    .action((o) =>
      withLedger(async (deps) => {
        const codes: string[] = (o.practice ?? []).map(ods)
        if (codes.length && !o.full)
          throw new UserError('--practice narrows a --full re-evaluation; an incremental refresh always covers every practice.', 2)
        const practiceIds: number[] = []
        for (const code of codes) {
          const practice = await getPracticeByOds(deps.db, code)
          if (!practice) throw new UserError(`There is no practice with ODS code ${code}.`)
          practiceIds.push(practice.id)
        }
        const result = await refreshFindings(deps, {
          mode: o.full ? 'full' : 'incremental',
          practiceIds: codes.length ? practiceIds : undefined,
        })
        if (o.json) return console.log(JSON.stringify(result))
        printTable(
          result.rules.map((r) => ({ rule: r.ruleId, mode: r.mode, opened: r.opened, reopened: r.reopened, resolved: r.resolved })),
        )
        console.log(
          `Findings refreshed in ${result.ms} ms: ${result.opened} opened, ${result.reopened} reopened, ${result.resolved} resolved.`,
        )
      }),
    )
}
