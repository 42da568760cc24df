import { collect, type Selection } from '../../jobs/collect.js'
import { UserError, withLedger } from '../context.js'
import { printTable, progressDisplay } from '../format.js'
import type { Command } from 'commander'
import { int, ods, periodDay } from '../options.js'

/** `ledger collect`: collect now from FHIR sources. */
export function register(program: Command): void {
  program
    .command('collect')
    .description('collect now from FHIR sources (one run per source)')
    .option('--source <id>', 'one source', int('--source'))
    .option('--practice <ODS>', "one practice's sources", ods)
    .option('--all', 'every enabled source')
    .option('--from <YYYY-MM-DD>', 'backfill: re-read this range without moving the cursor', periodDay)
    .option('--to <YYYY-MM-DD>', 'end of the backfill range (inclusive)', periodDay)
    .option('--json', 'print one JSON object with the result per source')
    .action((o) =>
      withLedger(async (deps) => {
        const chosen = [o.source !== undefined, !!o.practice, !!o.all].filter(Boolean).length
        if (chosen !== 1) throw new UserError('Choose exactly one of --source ID, --practice ODS or --all.', 2)
        if (!!o.from !== !!o.to) throw new UserError('A backfill needs both --from and --to.', 2)
        if (o.from && o.from > o.to) throw new UserError('--from must not be after --to.', 2)
        const selection: Selection =
          o.source !== undefined ? { sourceId: o.source } : o.practice ? { practiceOds: o.practice } : { all: true }
        let results
        const progress = o.json ? null : progressDisplay()
        try {
          results = await collect({ ...deps, onBatch: progress?.update }, selection, {
            trigger: 'manual',
            backfill: o.from ? { from: o.from, to: o.to } : undefined,
          })
        } catch (err) {
          throw new UserError((err as Error).message)
        } finally {
          progress?.stop()
        }
        const ok = results.every((r) => r.status === 'completed' || r.status === 'skipped')
        if (o.json) {
          console.log(
            JSON.stringify({
              ok,
              sources: results.map((r) => ({
                sourceId: r.sourceId,
                source: r.source,
                practice: r.practice,
                status: r.status,
                runId: r.runId,
                read: r.counts?.read ?? 0,
                inserted: r.counts?.inserted ?? 0,
                updated: r.counts?.updated ?? 0,
                duplicates: r.counts?.duplicates ?? 0,
                quarantined: r.counts?.quarantined ?? 0,
                error: r.error,
              })),
            }),
          )
        } else if (results.length === 0) {
          console.log('No enabled FHIR sources to collect. Add one with: npm run ledger -- source add --practice ODS --kind fhir --url URL')
        } else {
          printTable(
            results.map((r) => ({
              source: `${r.sourceId} ${r.source}`,
              practice: r.practice,
              status: r.status,
              read: r.counts?.read ?? '',
              inserted: r.counts?.inserted ?? '',
              updated: r.counts?.updated ?? '',
              duplicates: r.counts?.duplicates ?? '',
              quarantined: r.counts?.quarantined ?? '',
              error: r.error ?? '',
            })),
          )
        }
        if (!ok) process.exitCode = 1
      }),
    )
}
