import { DSPT_STATUSES } from '../../core/promises.js'
import { Option } from 'commander'
import os from 'node:os'
import path from 'node:path'
import type { Db } from '../../db/client.js'
import { listNoticeVersions, recordDsptStatus } from '../../db/queries/notices.js'
import { importNoticeFile, NoticeFileError } from '../../jobs/import-notice.js'
import { writeAccessLog } from '../../db/queries/access-log.js'
import { getPracticeByOds } from '../../db/queries/practices.js'
import { ensureOrganisation } from '../../db/queries/organisations.js'
import { recipientTypeFromOds } from '../../jobs/fhir/map-audit-event.js'
import { refreshFindings } from '../../core/findings/refresh.js'
import { UserError, withLedger } from '../context.js'
import { printTable } from '../format.js'
import type { Command } from 'commander'
import { ods, recordDay } from '../options.js'

/** `ledger notice import|list` and `ledger dspt`: privacy notices and the DSPT register. */
export function register(program: Command): void {
  const noticeCmd = program.command('notice').description('practice privacy notices: what each practice promises')
  noticeCmd
    .command('import')
    .description("record a notice file (JSON or YAML, see seeds/notices/) as the practice's next version, then refresh the findings")
    .argument('<file>', 'the notice file')
    .requiredOption('--practice <ODS>', 'practice ODS code', ods)
    .option('--json', 'print JSON')
    .action((file: string, o) =>
      withLedger(async (deps) => {
        const { db } = deps
        const practice = await getPracticeByOds(db, o.practice)
        if (!practice) throw new UserError(`There is no practice with ODS code ${o.practice}.`)
        const actor = `cli:${os.userInfo().username}`
        let recorded: { id: number; version: number }
        try {
          recorded = await importNoticeFile(db, file, practice.id, actor)
        } catch (err) {
          if (err instanceof NoticeFileError) throw new UserError(`${file}: ${err.message}`, 2)
          throw err
        }
        await writeAccessLog(db, {
          userId: null,
          actor,
          action: 'notice_import',
          practiceIds: [practice.id],
          target: `notice:${recorded.id}`,
          detail: { file: path.basename(file), version: recorded.version },
        })
        const findings = await refreshFindings(deps)
        if (o.json)
          return console.log(
            JSON.stringify({ ...recorded, practice: o.practice, findings: { opened: findings.opened, resolved: findings.resolved } }),
          )
        console.log(
          `Recorded version ${recorded.version} of the privacy notice of ${o.practice}. Findings: ${findings.resolved} resolved, ${findings.opened} opened.`,
        )
      }),
    )
  noticeCmd
    .command('list')
    .description("every version of a practice's notice, newest first")
    .requiredOption('--practice <ODS>', 'practice ODS code', ods)
    .option('--json', 'print JSON')
    .action((o) =>
      withLedger(async ({ db }) => {
        const practice = await getPracticeByOds(db, o.practice)
        if (!practice) throw new UserError(`There is no practice with ODS code ${o.practice}.`)
        const versions = await listNoticeVersions(db, practice.id)
        if (o.json) return console.log(JSON.stringify(versions))
        printTable(
          versions.map((v) => ({
            version: v.version,
            in_force_from: v.inForceFrom,
            title: v.title,
            promises: v.promises.map((p) => p.promise).join(', '),
          })),
        )
      }),
    )

  program
    .command('dspt')
    .description("record a recipient organisation's Data Security and Protection Toolkit status for a period, then refresh the findings")
    .option('--org-ods <X>', 'the organisation by ODS code')
    .option('--org-name <N>', 'the organisation by name (with --org-type) when it has no ODS code')
    .option('--org-type <T>', 'recipient type code of a new organisation, e.g. private_provider')
    .addOption(new Option('--status <S>', 'the published status').choices([...DSPT_STATUSES]).makeOptionMandatory())
    .requiredOption('--from <YYYY-MM-DD>', 'first day the status holds', recordDay)
    .option('--to <YYYY-MM-DD>', 'last day it holds (inclusive); until a later status when left out', recordDay)
    .option('--source <text>', 'where it was read, e.g. the DSPT publication of 2026-06-30')
    .action((o) =>
      withLedger(async (deps) => {
        const { db } = deps
        if (o.to && o.to < o.from) throw new UserError('--to must not be before --from.', 2)
        const organisationId = await organisationFromFlags(db, { ods: o.orgOds, name: o.orgName, type: o.orgType }, 'org')
        const id = await recordDsptStatus(db, {
          organisationId,
          status: o.status,
          validFrom: o.from,
          validTo: o.to ?? null,
          source: o.source ?? null,
        })
        await writeAccessLog(db, {
          userId: null,
          actor: `cli:${os.userInfo().username}`,
          action: 'dspt_record',
          target: `organisation:${organisationId}`,
          detail: { id, status: o.status, from: o.from, to: o.to ?? null },
        })
        const findings = await refreshFindings(deps)
        console.log(
          `Recorded DSPT status ${o.status} from ${o.from} for organisation ${organisationId}. Findings: ${findings.resolved} resolved, ${findings.opened} opened.`,
        )
      }),
    )
}

/**
 * The organisation named by --org-ods, or by --org-name with --org-type (created when first
 * seen). `agreement add` names its recipient through core/admin/ instead.
 */
async function organisationFromFlags(db: Db, given: { ods?: string; name?: string; type?: string }, flag: 'org'): Promise<number> {
  const known = async (code: string) => !!(await db('recipient_types').where({ code }).first('code'))
  if (given.ods) {
    const code = String(given.ods).trim().toUpperCase()
    if (!/^[A-Z0-9]{3,10}$/.test(code)) throw new UserError(`--${flag}-ods '${given.ods}' is not an ODS code.`, 2)
    const existing = await db('organisations').where({ ods_code: code }).first('id')
    if (existing) return existing.id
    if (!given.name)
      throw new UserError(`No organisation with ODS code ${code} is known yet: give its --${flag}-name (and --${flag}-type) too.`, 2)
    const type = given.type ?? recipientTypeFromOds(code)
    if (!(await known(type))) throw new UserError(`'${type}' is not a recipient type.`, 2)
    return ensureOrganisation(db, { odsCode: code, name: given.name, recipientType: type })
  }
  if (!given.name || !given.type) {
    throw new UserError(`Name the ${'organisation'}: --${flag}-ods X, or --${flag}-name N with --${flag}-type T.`, 2)
  }
  if (!(await known(given.type))) throw new UserError(`'${given.type}' is not a recipient type.`, 2)
  return ensureOrganisation(db, { name: given.name, recipientType: given.type })
}
