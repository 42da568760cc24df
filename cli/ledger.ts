import { rebuildRollups } from '../db/rollups.js'
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander'
import { checkValue, PeriodDay, RecordDay } from '../core/inputs.js'
import os from 'node:os'
import path from 'node:path'
import { DSPT_STATUSES } from '../core/promises.js'
import type { Db } from '../db/client.js'
import { listNoticeVersions, recordDsptStatus } from '../db/queries/notices.js'
import { importNoticeFile, NoticeFileError } from '../jobs/import-notice.js'
import { writeAccessLog } from '../db/queries/access-log.js'
import { listRuns } from '../db/queries/job-runs.js'
import { ensurePractice, getPracticeByOds, ODS_PRACTICE_PATTERN } from '../db/queries/practices.js'
import { createUser, findUserByEmail, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, ROLES } from '../db/queries/users.js'
import { addSource, listSources } from '../db/queries/sources.js'
import { addAgreement } from '../db/queries/agreements.js'
import { listFindingDetails } from '../db/queries/findings.js'
import { ensureOrganisation } from '../db/queries/organisations.js'
import { recipientTypeFromOds } from '../jobs/fhir/map-audit-event.js'
import { refreshFindings } from '../core/findings/refresh.js'
import { getRule } from '../core/findings/index.js'
import { collect, type Selection } from '../jobs/collect.js'
import { importNdopFile } from '../jobs/import-ndop.js'
import { importRegisterFile } from '../jobs/import-register.js'
import { scheduledJobs } from '../jobs/scheduler.js'
import { startSimulator } from '../simulator/server.js'
import type { RunnerDeps } from '../jobs/runner.js'
import { readConfig, UserError, withLedger } from './context.js'
import { ConfigError, requireSigningKey, type Config } from '../config/env.js'
import cliProgress from 'cli-progress'
import { printTable, progressDisplay } from './format.js'
import { registerMailCommands } from './commands/mail.js'

const program = new Command()
  .name('ledger')
  .description('Sharing Ledger: collect, import and inspect how GP practices share patient data.')
  .exitOverride()
  .showHelpAfterError()

const int = (name: string) => (v: string) => {
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a whole number.`)
  return n
}
const day = (schema: typeof RecordDay) => (v: string) => {
  const checked = checkValue(schema, v)
  if (!checked.ok) throw new InvalidArgumentError(`'${v}' ${checked.message}.`)
  return checked.value
}
// Periods reach at most a year ahead; an agreement's dates may lie further.
const periodDay = day(PeriodDay)
const recordDay = day(RecordDay)
const ods = (v: string) => {
  const code = v.toUpperCase()
  if (!ODS_PRACTICE_PATTERN.test(code)) throw new InvalidArgumentError(`'${v}' is not a GP practice ODS code (one letter and five digits, e.g. A81001).`)
  return code
}

program
  .command('migrate')
  .description('create or update the reporting schema')
  .action(() =>
    withLedger(async ({ target }) => {
      console.log(`Reporting schema is up to date (${target.kind === 'embedded' ? `embedded database in ${target.dir}` : 'PostgreSQL'}).`)
    }),
  )

const source = program.command('source').description('practice systems the collectors read')
source
  .command('add')
  .description('register a practice system (FHIR R4 server)')
  .requiredOption('--practice <ODS>', 'practice ODS code', ods)
  .addOption(new Option('--kind <kind>', 'source kind').choices(['fhir']).default('fhir'))
  .requiredOption('--url <url>', 'FHIR base URL, e.g. https://practice.example/fhir')
  .option('--token <token>', 'bearer token')
  .option('--name <name>', 'a name people will recognise')
  .option('--expected-interval <minutes>', 'how often it should deliver (for the "silent source" finding)', int('--expected-interval'), 1440)
  .action((o) =>
    withLedger(async ({ db }) => {
      let url: URL
      try {
        url = new URL(o.url)
      } catch {
        throw new UserError(`--url '${o.url}' is not a URL.`)
      }
      if (!/^https?:$/.test(url.protocol)) throw new UserError('--url must be an http(s) URL.')
      const practice = await ensurePractice(db, { odsCode: o.practice })
      const existing = (await listSources(db, { kind: 'fhir', practiceId: practice.id })).find((s) => s.base_url === o.url.replace(/\/$/, ''))
      if (existing) throw new UserError(`Practice ${o.practice} already has this source (id ${existing.id}).`)
      const row = await addSource(db, {
        practiceId: practice.id,
        kind: 'fhir',
        name: o.name ?? `${o.practice} practice system`,
        baseUrl: o.url.replace(/\/$/, ''),
        token: o.token ?? null,
        expectedIntervalMinutes: o.expectedInterval,
      })
      console.log(`Added source ${row.id} (${row.name}) for practice ${o.practice}.`)
    }),
  )
source
  .command('list')
  .description('list sources')
  .option('--json', 'print JSON')
  .action((o) =>
    withLedger(async ({ db }) => {
      const rows = await db('sources as s')
        .leftJoin('practices as p', 'p.id', 's.practice_id')
        .select('s.id', 's.kind', 's.name', 'p.ods_code as practice', 's.base_url', 's.enabled')
        .orderBy('s.id')
      if (o.json) console.log(JSON.stringify(rows))
      else printTable(rows)
    }),
  )

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
      const selection: Selection = o.source !== undefined ? { sourceId: o.source } : o.practice ? { practiceOds: o.practice } : { all: true }
      let results
      const progress = o.json ? null : progressDisplay()
      try {
        results = await collect(
          { ...deps, onBatch: progress?.update },
          selection,
          { trigger: 'manual', backfill: o.from ? { from: o.from, to: o.to } : undefined },
        )
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

const importCmd = program.command('import').description('import CSV files')
importCmd
  .command('ndop')
  .description('import an NHS England NDOP publication file (NDOP_reg_geog_<Mon_YYYY>.csv)')
  .argument('<file>')
  .option('--json', 'print JSON')
  .action((file, o) => withLedger(async (deps) => reportImport(deps, await importNdopFile(deps, file), o.json)))
importCmd
  .command('register')
  .description("import a practice's manual disclosure register CSV (format in README)")
  .argument('<file>')
  .requiredOption('--practice <ODS>', 'practice ODS code', ods)
  .option('--json', 'print JSON')
  .action((file, o) =>
    withLedger(async (deps) => reportImport(deps, await importRegisterFile(deps, file, o.practice), o.json)),
  )

/** Prints how an import went and, when it loaded anything, brings the findings up to date. */
async function reportImport(deps: RunnerDeps, r: Awaited<ReturnType<typeof importNdopFile>>, json: boolean) {
  if (r.status === 'completed') await refreshFindings(deps)
  if (json) console.log(JSON.stringify(r))
  else if (r.status === 'completed') {
    const c = r.counts!
    console.log(`Imported (run ${r.runId}): read ${c.read}, inserted ${c.inserted}, updated ${c.updated}, duplicates ${c.duplicates}, quarantined ${c.quarantined}.`)
  } else console.error(`Import ${r.status}${r.runId ? ` (run ${r.runId})` : ''}: ${r.error}`)
  if (r.status !== 'completed') process.exitCode = 1
}

const jobs = program.command('jobs').description('scheduled jobs and their runs')
jobs
  .command('list')
  .description('scheduled jobs, their cron expressions and next run')
  .option('--json', 'print JSON')
  .action((o) =>
    withLedger(async (deps) => {
      const rows = []
      for (const job of scheduledJobs(deps)) {
        const last = (await listRuns(deps.db, { jobNames: job.recordsAs, limit: 1 }))[0]
        rows.push({
          job: job.name,
          schedule: job.expression,
          timezone: deps.config.schedules.timezone,
          enabled: deps.config.schedules.enabled,
          last_run: last ? `${last.id} ${last.status} ${last.started_at.toISOString()}` : 'never',
        })
      }
      if (o.json) console.log(JSON.stringify(rows))
      else printTable(rows)
    }),
  )
jobs
  .command('runs')
  .description('run history, newest first')
  .option('--source <id>', 'one source', int('--source'))
  .option('--limit <n>', 'how many', int('--limit'), 20)
  .option('--json', 'print JSON')
  .action((o) =>
    withLedger(async ({ db }) => {
      const runs = await listRuns(db, { sourceId: o.source, limit: o.limit })
      if (o.json) return console.log(JSON.stringify(runs))
      printTable(
        runs.map((r) => ({
          run: r.id,
          job: r.job_name,
          source: r.source_id ?? '',
          trigger: r.trigger,
          status: r.status,
          started: r.started_at.toISOString(),
          read: r.read_count,
          inserted: r.inserted_count,
          updated: r.updated_count,
          duplicates: r.duplicate_count,
          quarantined: r.quarantined_count,
          error: r.error ?? '',
        })),
      )
    }),
  )

const user = program.command('user').description('people who sign in to the dashboard')
user
  .command('add')
  .description('add a user; the password is read from standard input')
  .requiredOption('--email <email>', 'e-mail address (the sign-in name)')
  .addOption(new Option('--role <role>', 'role').choices([...ROLES]).makeOptionMandatory())
  .option('--practice <ODS...>', 'practices this user may see (repeat or list several)')
  .option('--name <name>', 'display name')
  .action((o) =>
    withLedger(async ({ db }) => {
      if (!/^[^@\s]+@[^@\s]+$/.test(o.email)) throw new UserError(`--email '${o.email}' is not an e-mail address.`, 2)
      const codes: string[] = (o.practice ?? []).map(ods)
      if (codes.length === 0 && o.role !== 'admin') {
        throw new UserError('Give at least one --practice ODS: only administrators see every practice.', 2)
      }
      const practiceIds: number[] = []
      for (const code of codes) {
        const practice = await getPracticeByOds(db, code)
        if (!practice) throw new UserError(`There is no practice with ODS code ${code}.`)
        practiceIds.push(practice.id)
      }
      if (await findUserByEmail(db, o.email)) throw new UserError(`A user with e-mail ${o.email} already exists.`)
      const password = (await readStdin()).replace(/\r?\n$/, '')
      if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
        throw new UserError(`The password (from standard input) must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters.`, 2)
      }
      const row = await createUser(db, { email: o.email, displayName: o.name, password, role: o.role, practiceIds })
      await writeAccessLog(db, { userId: null, actor: `cli:${os.userInfo().username}`, action: 'user_add', practiceIds, target: `user:${row.id}`, detail: { email: row.email, role: row.role, practices: codes } })
      console.log(`Added ${row.role} ${row.email} (user ${row.id})${codes.length ? ` for ${codes.join(', ')}` : ' for every practice'}.`)
    }),
  )

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Password: ')
  let text = ''
  for await (const chunk of process.stdin) text += chunk
  return text
}

program
  .command('simulate')
  .description('serve simulated practice systems (FHIR R4) on loopback, for the demo and tests')
  .requiredOption('--port <port>', 'port to listen on', int('--port'))
  .option('--practices <n>', 'number of practices', int('--practices'), 3)
  .option('--days <d>', 'days of history', int('--days'), 90)
  .option('--seed <s>', 'random seed (same seed, same data)', int('--seed'), 1)
  .option('--token <token>', 'require this bearer token')
  .action(async (o) => {
    const sim = await startSimulator({ port: o.port, practices: o.practices, days: o.days, seed: o.seed, token: o.token })
    console.log(`Simulator serving ${sim.practices.length} practices at ${sim.url}`)
    for (const p of sim.practices) console.log(`  ${p.odsCode} ${p.name}: ${p.fhirBaseUrl}`)
    const stop = async () => {
      await sim.close()
      process.exit(0)
    }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })

// ---- Compliance findings and data sharing agreements (issue 6) ------------------------------

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
        printTable(rows.map((f) => ({ id: f.id, severity: f.severity, rule: f.ruleId, practice: f.practiceOds ?? '', opened: f.openedAt.toISOString().slice(0, 10), summary: f.summary })))
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
      if (codes.length && !o.full) throw new UserError('--practice narrows a --full re-evaluation; an incremental refresh always covers every practice.', 2)
      const practiceIds: number[] = []
      for (const code of codes) {
        const practice = await getPracticeByOds(deps.db, code)
        if (!practice) throw new UserError(`There is no practice with ODS code ${code}.`)
        practiceIds.push(practice.id)
      }
      const result = await refreshFindings(deps, { mode: o.full ? 'full' : 'incremental', practiceIds: codes.length ? practiceIds : undefined })
      if (o.json) return console.log(JSON.stringify(result))
      printTable(result.rules.map((r) => ({ rule: r.ruleId, mode: r.mode, opened: r.opened, reopened: r.reopened, resolved: r.resolved })))
      console.log(`Findings refreshed in ${result.ms} ms: ${result.opened} opened, ${result.reopened} reopened, ${result.resolved} resolved.`)
    }),
  )

program
  .command('rollups')
  .description('rebuild the dashboard roll-ups from the raw disclosures (after a bulk load with triggers off, or to repair)')
  .argument('<action>', 'rebuild')
  .option('--json', 'print JSON')
  .action((action: string, o) =>
    withLedger(async (deps) => {
      if (action !== 'rebuild') throw new UserError(`Unknown rollups action "${action}": the only one is "rebuild".`, 2)
      const started = Date.now()
      const tables = await rebuildRollups(deps.db)
      if (o.json) return console.log(JSON.stringify({ tables, ms: Date.now() - started }))
      printTable(tables)
      console.log(`Roll-ups rebuilt from the raw disclosures in ${Date.now() - started} ms.`)
    }),
  )

const DATA_LEVELS = ['identifiable', 'pseudonymised', 'anonymised'] as const
/**
 * The organisation named by --<flag>-ods, or by --<flag>-name with --<flag>-type (created when
 * first seen): one reading for `agreement add` and `dspt`.
 */
async function organisationFromFlags(db: Db, given: { ods?: string; name?: string; type?: string }, flag: 'recipient' | 'org'): Promise<number> {
  const known = async (code: string) => !!(await db('recipient_types').where({ code }).first('code'))
  if (given.ods) {
    const code = String(given.ods).trim().toUpperCase()
    if (!/^[A-Z0-9]{3,10}$/.test(code)) throw new UserError(`--${flag}-ods '${given.ods}' is not an ODS code.`, 2)
    const existing = await db('organisations').where({ ods_code: code }).first('id')
    if (existing) return existing.id
    if (!given.name) throw new UserError(`No organisation with ODS code ${code} is known yet: give its --${flag}-name (and --${flag}-type) too.`, 2)
    const type = given.type ?? recipientTypeFromOds(code)
    if (!(await known(type))) throw new UserError(`'${type}' is not a recipient type.`, 2)
    return ensureOrganisation(db, { odsCode: code, name: given.name, recipientType: type })
  }
  if (!given.name || !given.type) {
    throw new UserError(`Name the ${flag === 'recipient' ? 'recipient' : 'organisation'}: --${flag}-ods X, or --${flag}-name N with --${flag}-type T.`, 2)
  }
  if (!(await known(given.type))) throw new UserError(`'${given.type}' is not a recipient type.`, 2)
  return ensureOrganisation(db, { name: given.name, recipientType: given.type })
}

const agreementCmd = program.command('agreement').description('data sharing agreements')
agreementCmd
  .command('add')
  .description('record a data sharing agreement, then refresh the findings it affects')
  .requiredOption('--reference <R>', 'the agreement reference, e.g. DSA-2026-014')
  .option('--recipient-ods <X>', 'recipient ODS code (an organisation already known, or give --recipient-name too)')
  .option('--recipient-name <N>', 'recipient name (for a recipient without an ODS code, with --recipient-type)')
  .option('--recipient-type <T>', 'recipient type code, e.g. nhs_trust, research_org, police_judicial')
  .requiredOption('--purpose <P>', 'a purpose it covers, e.g. research (repeat for more)', (v: string, prev: string[] = []) => [...prev, v])
  .addOption(new Option('--data-level <L>', 'the most identifiable data it allows').choices([...DATA_LEVELS]).makeOptionMandatory())
  .requiredOption('--from <YYYY-MM-DD>', 'first day in force', recordDay)
  .option('--to <YYYY-MM-DD>', 'last day in force (inclusive); open-ended when left out', recordDay)
  .requiredOption('--practice <ODS...>', 'practices party to it (repeat or list several)')
  .option('--description <text>', 'what is shared and why')
  .option('--json', 'print JSON')
  .action((o) =>
    withLedger(async (deps) => {
      const { db } = deps
      if (o.to && o.to < o.from) throw new UserError('--to must not be before --from.', 2)
      const recipientId = await organisationFromFlags(db, { ods: o.recipientOds, name: o.recipientName, type: o.recipientType }, 'recipient')
      const purposes = [...new Set<string>(o.purpose)]
      for (const purpose of purposes) {
        const row = await db('purposes').where({ code: purpose }).first('prohibited')
        if (!row) throw new UserError(`'${purpose}' is not a purpose (see the purposes table, e.g. research, direct_care).`, 2)
        if (row.prohibited) throw new UserError(`'${purpose}' is a prohibited purpose: no agreement can make it lawful.`, 2)
      }
      const codes: string[] = o.practice.map(ods)
      const practiceIds: number[] = []
      for (const code of codes) {
        const practice = await getPracticeByOds(db, code)
        if (!practice) throw new UserError(`There is no practice with ODS code ${code}.`)
        practiceIds.push(practice.id)
      }
      const added = await addAgreement(db, {
        reference: o.reference,
        recipientId,
        dataLevel: o.dataLevel,
        validFrom: o.from,
        validTo: o.to ?? null,
        description: o.description ?? null,
        purposes,
        practiceIds,
      })
      if (!added.created) throw new UserError(`An agreement with reference ${o.reference} already exists (id ${added.id}).`)
      await writeAccessLog(db, {
        userId: null,
        actor: `cli:${os.userInfo().username}`,
        action: 'agreement_add',
        practiceIds,
        target: `agreement:${added.id}`,
        detail: { reference: o.reference, recipientId, purposes, practices: codes, dataLevel: o.dataLevel, from: o.from, to: o.to ?? null },
      })
      const findings = await refreshFindings(deps)
      if (o.json) return console.log(JSON.stringify({ id: added.id, reference: o.reference, recipientId, findings: { opened: findings.opened, resolved: findings.resolved } }))
      console.log(`Added agreement ${o.reference} (id ${added.id}). Findings: ${findings.resolved} resolved, ${findings.opened} opened.`)
    }),
  )

// ---- Privacy notices and the DSPT register (issue 20) -------------------------------------------

const noticeCmd = program.command('notice').description("practice privacy notices: what each practice promises")
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
      await writeAccessLog(db, { userId: null, actor, action: 'notice_import', practiceIds: [practice.id], target: `notice:${recorded.id}`, detail: { file: path.basename(file), version: recorded.version } })
      const findings = await refreshFindings(deps)
      if (o.json) return console.log(JSON.stringify({ ...recorded, practice: o.practice, findings: { opened: findings.opened, resolved: findings.resolved } }))
      console.log(`Recorded version ${recorded.version} of the privacy notice of ${o.practice}. Findings: ${findings.resolved} resolved, ${findings.opened} opened.`)
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
      printTable(versions.map((v) => ({ version: v.version, in_force_from: v.inForceFrom, title: v.title, promises: v.promises.map((p) => p.promise).join(', ') })))
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
      const id = await recordDsptStatus(db, { organisationId, status: o.status, validFrom: o.from, validTo: o.to ?? null, source: o.source ?? null })
      await writeAccessLog(db, { userId: null, actor: `cli:${os.userInfo().username}`, action: 'dspt_record', target: `organisation:${organisationId}`, detail: { id, status: o.status, from: o.from, to: o.to ?? null } })
      const findings = await refreshFindings(deps)
      console.log(`Recorded DSPT status ${o.status} from ${o.from} for organisation ${organisationId}. Findings: ${findings.resolved} resolved, ${findings.opened} opened.`)
    }),
  )

// ---- Reports (issue 5): `ledger report` writes a PDF and records it; `ledger verify` checks one.
// Everything else lives in reports/; this block only parses arguments and prints.

const reportCmd = program
  .command('report')
  .description('write a PDF report (audit evidence pack, commissioner report, incident review) and record its digest')
  .argument('<kind>', 'audit | commissioner | incident')
  .requiredOption('--practice <ODS>', 'practice ODS code (repeat for several)', (v: string, prev: string[] = []) => [...prev, ods(v)])
  .requiredOption('--from <YYYY-MM-DD>', 'first day of the period', periodDay)
  .requiredOption('--to <YYYY-MM-DD>', 'last day of the period', periodDay)
  .option('--event <ID>', 'incident review: the override event', int('--event'))
  .option('--finding <ID>', 'incident review: a finding about a disclosure or an override (instead of --event)', int('--finding'))
  .requiredOption('--out <FILE.pdf>', 'where to write the PDF')
  .action(async (kind: string, o: { practice: string[]; from: string; to: string; event?: number; finding?: number; out: string }) =>
    withLedger(async ({ db, config }) => {
      const { generateReport, ReportError, REPORT_KINDS } = await import('../reports/index.js')
      if (!(REPORT_KINDS as readonly string[]).includes(kind)) throw new UserError(`Unknown report kind '${kind}': use audit, commissioner or incident.`)
      if (kind === 'incident' && o.event === undefined && o.finding === undefined) throw new UserError('An incident review needs --event ID (an override event) or --finding ID.')
      const practiceIds: number[] = []
      for (const code of o.practice) {
        const practice = await getPracticeByOds(db, code)
        if (!practice) throw new UserError(`There is no practice with ODS code ${code}.`)
        practiceIds.push(practice.id)
      }
      const generatedBy = `cli:${os.userInfo().username}`
      try {
        const r = await generateReport(
          db,
          { kind: kind as 'audit', practiceIds, from: o.from, to: o.to, eventId: o.event, findingId: o.finding, generatedBy, overrideReviewDays: config.overrideReviewDays, signingKey: signingKeyOf(config) },
          o.out,
        )
        await writeAccessLog(db, {
          userId: null,
          actor: generatedBy,
          action: 'report_export',
          practiceIds,
          target: `report:${r.id}`,
          detail: { kind, practices: o.practice, from: o.from, to: o.to, eventId: o.event ?? null, findingId: o.finding ?? null, sha256: r.sha256, rowCounts: r.rowCounts },
        })
        console.log(`Wrote ${kind} report ${r.id} to ${o.out} (${r.pages} pages, SHA-256 ${r.sha256}).`)
      } catch (err) {
        if (err instanceof ReportError) throw new UserError(err.message)
        throw err
      }
    }),
  )
void reportCmd

program
  .command('statement')
  .description("write a patient's disclosure statement (every disclosure of that patient at the practice, in plain words); the NHS number is pseudonymised in memory and never stored or logged")
  .requiredOption('--practice <ODS>', 'the practice', ods)
  .requiredOption('--nhs-number <N>', "the patient's NHS number (10 digits; spaces allowed)")
  .option('--from <YYYY-MM-DD>', 'first day (default: six years before --to)', periodDay)
  .option('--to <YYYY-MM-DD>', 'last day (default: today)', periodDay)
  .requiredOption('--out <FILE.pdf>', 'where to write the PDF')
  .action(async (o: { practice: string; nhsNumber: string; from?: string; to?: string; out: string }) => {
    const { isValidNhsNumber, pseudonymiseNhsNumber } = await import('../jobs/pseudonym.js')
    const digits = o.nhsNumber.replace(/[\s-]+/g, '')
    if (!/^\d{10}$/.test(digits) || !isValidNhsNumber(digits)) throw new UserError('--nhs-number is not a valid NHS number (10 digits, the last being the modulus 11 check digit).', 2)
    const { defaultStatementPeriod } = await import('../core/statement-period.js')
    const period = defaultStatementPeriod()
    const to = o.to ?? period.to
    const from = o.from ?? defaultStatementPeriod(new Date(`${to}T12:00:00Z`)).from
    if (from > to) throw new UserError('--from is after --to.', 2)
    await withLedger(async ({ db, config }) => {
      const { generateReport } = await import('../reports/index.js')
      const practice = await getPracticeByOds(db, o.practice)
      if (!practice) throw new UserError(`There is no practice with ODS code ${o.practice}.`)
      const patient = pseudonymiseNhsNumber(config.pseudonymKey, digits)
      const generatedBy = `cli:${os.userInfo().username}`
      const r = await generateReport(db, { kind: 'statement', practiceIds: [practice.id], from, to, patientPseudonym: patient, generatedBy, signingKey: signingKeyOf(config) }, o.out)
      await writeAccessLog(db, {
        userId: null,
        actor: generatedBy,
        action: 'statement_export',
        practiceIds: [practice.id],
        target: `report:${r.id}`,
        detail: { kind: 'statement', practices: [o.practice], from, to, patient, sha256: r.sha256 },
      })
      console.log(`Wrote the disclosure statement ${r.id} for patient ${patient} at ${o.practice}, ${from} to ${to}, to ${o.out} (${r.rowCounts.statement_disclosures ?? 0} disclosures, ${r.pages} pages).`)
    })
  })

program
  .command('verify')
  .description(
    'check that a PDF is a report this system produced with its content as signed (exit 0: genuine, or content unchanged in a re-saved file) or not (exit 1). ' +
      'With --public-key no database is used; without it, the configured key and the database\'s record of the report are checked.',
  )
  .argument('<file>', 'the PDF')
  .option('--public-key <KEY.pem>', 'the public key the report should be signed with (from `ledger keys public`); checks the file alone, offline')
  .action(async (file: string, o: { publicKey?: string }) => {
    const fs = await import('node:fs')
    const { verifyReportFile, describeFileVerdict, verdictExitCode } = await import('../reports/verify-file.js')
    const { parsePublicKey } = await import('../core/signing.js')
    const readOrFail = (f: string, what: string) => {
      try {
        return fs.readFileSync(f)
      } catch {
        throw new UserError(`Cannot read ${what} ${f}.`, 2)
      }
    }
    const bytes = readOrFail(file, 'the file')
    if (o.publicKey !== undefined) {
      const key = parsePublicKey(readOrFail(o.publicKey, 'the public key').toString('utf8'))
      if (!key) throw new UserError(`${o.publicKey} is not an Ed25519 public key in PEM form (as \`ledger keys public\` prints it).`, 2)
      const verdict = await verifyReportFile(bytes, key)
      console.log(describeFileVerdict(verdict))
      process.exitCode = verdictExitCode(verdict)
      return
    }
    await withLedger(async ({ db, config }) => {
      const { verifyRecordedReport } = await import('../reports/index.js')
      const result = await verifyRecordedReport(db, bytes, signingKeyOf(config).publicKey)
      console.log(result.message)
      process.exitCode = result.ok ? 0 : 1
    })
  })

function signingKeyOf(config: Config) {
  try {
    return requireSigningKey(config)
  } catch (err) {
    if (err instanceof ConfigError) throw new UserError(err.message)
    throw err
  }
}

const keysCmd = program.command('keys').description('the signing key that signs reports and ledger checkpoints')
keysCmd
  .command('public')
  .description('print the public key (PEM) that verifies reports and checkpoints: give it to whoever must check them offline')
  .action(async () => {
    const { publicKeyFingerprint, publicKeyPem } = await import('../core/signing.js')
    const config = readConfig()
    const key = signingKeyOf(config)
    if (key.development) process.stderr.write('WARNING: this is the published DEVELOPMENT signing key (embedded demo). Anything it signs proves nothing. Set SIGNING_KEY.\n')
    process.stderr.write(`Fingerprint (SHA-256 of the key): ${publicKeyFingerprint(key)}\n`)
    process.stdout.write(publicKeyPem(key))
  })

// ---- The tamper-evident ledger (issue 16, decision 024). The logic lives in db/ledger/.

const integrity = program.command('integrity').description('the tamper-evident ledger: verify the hash chains, sign checkpoints')
integrity
  .command('verify')
  .description('recompute every chain from the rows: exit 0 when intact, 1 naming what was changed, deleted, inserted or reordered')
  .option('--checkpoint <FILE.json>', 'a signed checkpoint the chains must still contain (its signature is checked first)')
  .option('--public-key <FILE.pem>', 'the public key to check the checkpoint with (default: the configured signing key)')
  .option('--practice <ODS>', "only this practice's chain", ods)
  .action((o: { checkpoint?: string; publicKey?: string; practice?: string }) =>
    withLedger(async ({ db, config }) => {
      const fs = await import('node:fs')
      const { verifyIntegrity, parseCheckpoint, CheckpointError, CheckpointRefused } = await import('../db/ledger/index.js')
      const { parsePublicKey } = await import('../core/signing.js')
      const read = (file: string) => {
        try {
          return fs.readFileSync(file, 'utf8')
        } catch {
          throw new UserError(`Cannot read ${file}.`)
        }
      }
      let checkpoint
      let publicKey
      if (o.checkpoint) {
        try {
          checkpoint = parseCheckpoint(read(o.checkpoint))
        } catch (err) {
          if (err instanceof CheckpointError) throw new UserError(`${o.checkpoint}: ${err.message}`)
          throw err
        }
        if (o.publicKey) {
          publicKey = parsePublicKey(read(o.publicKey)) ?? undefined
          if (!publicKey) throw new UserError(`${o.publicKey} is not an Ed25519 public key (SPKI PEM).`)
        } else {
          publicKey = config.signingKey?.publicKey
        }
      }
      let chain: number | undefined
      if (o.practice) {
        const practice = await getPracticeByOds(db, o.practice)
        if (!practice) throw new UserError(`There is no practice with ODS code ${o.practice}.`)
        chain = practice.id
      }
      const bar = progressBar()
      try {
        const r = await verifyIntegrity(db, { chain, checkpoint, publicKey, runBy: `cli:${os.userInfo().username}`, onProgress: bar?.update })
        bar?.stop()
        if (r.checkpoint) console.log(`Checkpoint of ${r.checkpoint.createdAt}: signature valid.`)
        for (const p of r.problems) console.log(`${p.kind.toUpperCase()}: ${p.message}`)
        if (r.moreProblems > 0) console.log(`... and ${r.moreProblems} more problem(s).`)
        const scope = chain === undefined ? `${r.heads.length} chain(s)` : `the chain of ${o.practice}`
        if (!r.intact) throw new UserError(`NOT INTACT: ${r.problems.length + r.moreProblems} problem(s) in ${scope} (${r.entries} entries, ${r.rowsChecked} rows checked).`, 1)
        console.log(`Intact: ${scope}, ${r.entries} entries, ${r.rowsChecked} rows checked${r.checkpoint ? ', every checkpointed head present' : ''}.`)
      } catch (err) {
        bar?.stop()
        if (err instanceof CheckpointRefused) throw new UserError(err.message, 1)
        throw err
      }
    }),
  )
integrity
  .command('checkpoint')
  .description('sign the head of every chain (Ed25519), store the checkpoint and write it as JSON to keep elsewhere')
  .option('--out <FILE.json>', 'where to write the checkpoint (default: print it)')
  .action((o: { out?: string }) =>
    withLedger(async ({ db, config }) => {
      const fs = await import('node:fs')
      const { createCheckpoint } = await import('../db/ledger/index.js')
      const { requireSigningKey, ConfigError } = await import('../config/env.js')
      let key
      try {
        key = requireSigningKey(config)
      } catch (err) {
        if (err instanceof ConfigError) throw new UserError(err.message)
        throw err
      }
      if (key.development) process.stderr.write('WARNING: signing with the published DEVELOPMENT key: this checkpoint proves nothing. Set SIGNING_KEY for real data.\n')
      const cp = await createCheckpoint(db, key, `cli:${os.userInfo().username}`)
      const text = `${JSON.stringify(cp, null, 2)}\n`
      if (o.out) {
        fs.writeFileSync(o.out, text)
        console.log(`Checkpoint ${cp.id}: ${cp.chains.length} chain(s) signed, written to ${o.out}.`)
      } else {
        process.stdout.write(text)
      }
    }),
  )

/** A progress line on an interactive terminal; a line per table or chain when piped to a log. */
function progressBar(): { update: (p: { phase: string; label: string; done: number; total: number }) => void; stop: () => void } | null {
  let lastLabel = ''
  if (!process.stderr.isTTY) {
    return {
      update: (p) => {
        const what = p.phase === 'chain' ? 'chains' : `rows of ${p.label}`
        if (what !== lastLabel) process.stderr.write(`verifying ${what}\n`)
        lastLabel = what
      },
      stop: () => {},
    }
  }
  const bar = new cliProgress.SingleBar({ format: 'verifying {what} |{bar}| {value}/{total}', stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic)
  let started = false
  return {
    update: (p) => {
      const what = p.phase === 'chain' ? 'chains' : p.label
      if (!started || what !== lastLabel) {
        if (started) bar.stop()
        bar.start(p.total, p.done, { what })
        started = true
      } else bar.update(p.done, { what })
      lastLabel = what
    },
    stop: () => started && bar.stop(),
  }
}

registerMailCommands(program)

try {
  await program.parseAsync(process.argv)
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : 2
  } else if (err instanceof UserError) {
    console.error(err.message)
    process.exitCode = err.exitCode
  } else {
    console.error(`Unexpected error: ${(err as Error).stack ?? err}`)
    process.exitCode = 1
  }
}
