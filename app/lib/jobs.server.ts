import { redirect, type AppLoadContext } from '@remix-run/node'
import cron from 'node-cron'
import { z } from 'zod'
import { getQuarantineEntry, countPendingQuarantine, listPendingQuarantine } from '../../db/queries/quarantine.js'
import {
  countRunHistory,
  lastRunOf,
  listRunHistory,
  listRunJobNames,
  newestRunId,
  runStartedAfter,
  type RunFilter,
} from '../../db/queries/run-history.js'
import { getSourceInScope, listSourceHealth } from '../../db/queries/source-health.js'
import type { SourceRow } from '../../db/queries/sources.js'
import type { Role } from '../../db/queries/users.js'
import { COLLECT_JOB, collect, type SourceResult } from '../../jobs/collect.js'
import type { RunnerDeps } from '../../jobs/runner.js'
import { scheduledJobs } from '../../jobs/scheduler.js'
import { scheduledReportsJob } from '../../jobs/scheduled-reports.js'
import { produceScheduledReport } from '../../reports/scheduled.js'
import { ledgerStatusForPage } from '../../db/ledger/index.js'
import { notFound, requireAccess, type Access } from './access.server.js'
import { csvExport } from './csv.server.js'
import { readQuery } from './request.server.js'
import { requireScope } from './scope.server.js'

type Args = { request: Request; context: AppLoadContext; params?: Record<string, string | undefined> }

/** Who may start a collection by hand: the people who keep the collectors running. */
export const RUN_NOW_ROLES: readonly Role[] = ['admin', 'practice_manager']

export const RUNS_PER_PAGE = 25
export const QUARANTINE_PER_PAGE = 50
/** A CSV export is the whole filtered history, up to this many runs. */
const CSV_MAX_ROWS = 50_000

const RUN_STATUSES = ['active', 'completed', 'failed', 'cancelled'] as const

const blankToUndefined = (v: unknown) => (v === '' || v === null ? undefined : v)

const RunFilterSchema = z.object({
  source: z.preprocess(blankToUndefined, z.coerce.number().int().positive().optional()),
  status: z.preprocess(blankToUndefined, z.enum(RUN_STATUSES).optional()),
  job: z.preprocess(
    blankToUndefined,
    z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/)
      .optional(),
  ),
  page: z.preprocess(blankToUndefined, z.coerce.number().int().min(1).max(1_000_000).default(1)),
  qpage: z.preprocess(blankToUndefined, z.coerce.number().int().min(1).max(1_000_000).default(1)),
})

function readRunFilter(url: URL) {
  return readQuery(
    url,
    RunFilterSchema,
    ['source', 'status', 'job', 'page', 'qpage'],
    'The filters are not valid: choose a source, a status (running, completed, failed, stopped) and a job from the lists, and a page number of 1 or more.',
  )
}

// What the redirect after "Run now" says. Only ids travel in the address; the sentence is built
// here from the viewer's own sources, so nobody can put words on the page with a crafted link.
const NoticeSchema = z.discriminatedUnion('notice', [
  z.object({
    notice: z.literal('started'),
    noticeSource: z.coerce.number().int().positive(),
    noticeRun: z.preprocess(blankToUndefined, z.coerce.number().int().positive().optional()),
  }),
  z.object({ notice: z.literal('running'), noticeSource: z.coerce.number().int().positive() }),
])

function runnerDeps(access: Access): RunnerDeps {
  return { db: access.db, target: access.config.database, config: access.config, signal: access.stopSignal }
}

/** "every 15 minutes" for the simple cron expressions people write; null when it takes more words. */
export function describeCron(expression: string): string | null {
  const fields = expression.trim().split(/\s+/)
  if (fields.length !== 5) return null
  const [minute, hour, dayOfMonth, month, dayOfWeek] = fields as [string, string, string, string, string]
  if (dayOfMonth !== '*' || month !== '*' || dayOfWeek !== '*') return null
  const everyMinutes = /^\*\/(\d+)$/.exec(minute)
  if (hour === '*' && minute === '*') return 'every minute'
  if (hour === '*' && everyMinutes) return Number(everyMinutes[1]) === 1 ? 'every minute' : `every ${Number(everyMinutes[1])} minutes`
  if (hour === '*' && /^\d+$/.test(minute))
    return Number(minute) === 0 ? 'every hour, on the hour' : `every hour at ${Number(minute)} minutes past`
  const everyHours = /^\*\/(\d+)$/.exec(hour)
  if (everyHours && /^\d+$/.test(minute)) return `every ${Number(everyHours[1])} hours at ${Number(minute)} minutes past`
  if (/^\d+$/.test(hour) && /^\d+$/.test(minute)) return `every day at ${hour.padStart(2, '0')}:${minute.padStart(2, '0')}`
  return null
}

/** When node-cron would next fire this expression, in this time zone. */
function nextRun(expression: string, timezone: string): Date | null {
  const task = cron.createTask(expression, () => {}, { timezone })
  try {
    return task.getNextRuns(1)[0] ?? null
  } finally {
    // createTask registers the task globally; a stopped task that is never destroyed would linger.
    void task.destroy()
  }
}

export async function getJobsPage(args: Args) {
  const { access, scope } = await requireScope(args)
  const url = new URL(args.request.url)
  const filter = readRunFilter(url)
  const db = access.db
  const sources = await listSourceHealth(db, scope)
  if (filter.source !== undefined && !sources.some((s) => s.id === filter.source)) throw notFound()
  const runFilter: RunFilter = { sourceId: filter.source, status: filter.status, job: filter.job }
  const { schedules: config } = access.config
  const [runs, runTotal, jobNames, quarantine, quarantineTotal, schedules, ledger] = await Promise.all([
    listRunHistory(db, scope, runFilter, { limit: RUNS_PER_PAGE, offset: (filter.page - 1) * RUNS_PER_PAGE }),
    countRunHistory(db, scope, runFilter),
    listRunJobNames(db, scope),
    listPendingQuarantine(db, scope, { limit: QUARANTINE_PER_PAGE, offset: (filter.qpage - 1) * QUARANTINE_PER_PAGE }),
    countPendingQuarantine(db, scope),
    Promise.all(
      scheduledJobs(runnerDeps(access), [scheduledReportsJob(produceScheduledReport)]).map(async (job) => {
        const last = await lastRunOf(db, scope, job.recordsAs)
        return {
          name: job.name,
          expression: job.expression,
          description: describeCron(job.expression),
          timezone: config.timezone,
          enabled: config.enabled,
          nextRun: config.enabled ? nextRun(job.expression, config.timezone) : null,
          recordsAs: job.recordsAs,
          lastRun: last ? { id: last.id, status: last.status, startedAt: last.startedAt } : null,
        }
      }),
    ),
    ledgerStatusForPage(db, access.viewer.role === 'admin'),
  ])
  const parsedNotice = NoticeSchema.safeParse(Object.fromEntries(url.searchParams))
  let notice: { kind: 'started' | 'running'; runId: number | null; sourceName: string } | null = null
  if (parsedNotice.success) {
    const source = sources.find((s) => s.id === parsedNotice.data.noticeSource)
    if (source)
      notice = {
        kind: parsedNotice.data.notice,
        runId: parsedNotice.data.notice === 'started' ? (parsedNotice.data.noticeRun ?? null) : null,
        sourceName: source.name,
      }
  }
  return {
    period: { from: scope.from, to: scope.to },
    filter: { source: filter.source ?? null, status: filter.status ?? null, job: filter.job ?? null },
    notice,
    canRunNow: RUN_NOW_ROLES.includes(access.viewer.role),
    canSeePayload: access.viewer.role === 'admin',
    schedules,
    ledger,
    sources,
    jobNames,
    runs: { rows: runs, total: runTotal, page: filter.page, pageSize: RUNS_PER_PAGE },
    quarantine: { rows: quarantine, total: quarantineTotal, page: filter.qpage, pageSize: QUARANTINE_PER_PAGE },
  }
}

const RUN_CSV_COLUMNS = [
  { header: 'run', value: (r: RunRow) => r.id },
  { header: 'job', value: (r: RunRow) => r.jobName },
  { header: 'source_id', value: (r: RunRow) => r.sourceId },
  { header: 'source', value: (r: RunRow) => r.sourceName },
  { header: 'practice', value: (r: RunRow) => r.practiceOds },
  { header: 'trigger', value: (r: RunRow) => r.trigger },
  { header: 'status', value: (r: RunRow) => r.status },
  { header: 'started_at', value: (r: RunRow) => r.startedAt },
  { header: 'finished_at', value: (r: RunRow) => r.finishedAt },
  { header: 'read', value: (r: RunRow) => r.readCount },
  { header: 'inserted', value: (r: RunRow) => r.insertedCount },
  { header: 'updated', value: (r: RunRow) => r.updatedCount },
  { header: 'duplicates', value: (r: RunRow) => r.duplicateCount },
  { header: 'quarantined', value: (r: RunRow) => r.quarantinedCount },
  { header: 'error', value: (r: RunRow) => r.error },
]
type RunRow = Awaited<ReturnType<typeof listRunHistory>>[number]

/** /jobs.csv: the run history with the page's filters (all pages). */
export async function exportRuns(args: Args) {
  const { access, scope } = await requireScope(args)
  const url = new URL(args.request.url)
  const filter = readRunFilter(url)
  if (filter.source !== undefined && !(await getSourceInScope(access.db, scope, filter.source))) throw notFound()
  const rows = await listRunHistory(
    access.db,
    scope,
    { sourceId: filter.source, status: filter.status, job: filter.job },
    { limit: CSV_MAX_ROWS, offset: 0 },
  )
  return csvExport(access, { name: 'collector-runs', url, rows, columns: RUN_CSV_COLUMNS })
}

/** /jobs/quarantine.csv: the pending quarantine without payloads (reason and record key only). */
export async function exportQuarantine(args: Args) {
  const { access, scope } = await requireScope(args)
  const url = new URL(args.request.url)
  const rows = await listPendingQuarantine(access.db, scope, { limit: CSV_MAX_ROWS, offset: 0 })
  return csvExport(access, {
    name: 'quarantine',
    url,
    rows,
    columns: [
      { header: 'id', value: (r) => r.id },
      { header: 'source_id', value: (r) => r.sourceId },
      { header: 'source', value: (r) => r.sourceName },
      { header: 'practice', value: (r) => r.practiceOds },
      { header: 'record_key', value: (r) => r.recordKey },
      { header: 'resource_type', value: (r) => r.resourceType },
      { header: 'reason', value: (r) => r.reason },
      { header: 'first_run', value: (r) => r.firstRunId },
      { header: 'last_run', value: (r) => r.lastRunId },
      { header: 'first_seen_at', value: (r) => r.firstSeenAt },
      { header: 'last_seen_at', value: (r) => r.lastSeenAt },
    ],
  })
}

function idParam(raw: string | undefined): number {
  if (!raw || !/^\d{1,15}$/.test(raw)) throw notFound()
  return Number(raw)
}

/**
 * /jobs/quarantine/:id. Everyone in scope sees why a record was set aside; the raw record may
 * carry an NHS number, so only an administrator sees it, and each time they do it is logged.
 */
export async function getQuarantineDetail(args: Args) {
  const { access, scope } = await requireScope(args)
  const id = idParam(args.params?.id)
  const isAdmin = access.viewer.role === 'admin'
  const entry = await getQuarantineEntry(access.db, scope, id, { withPayload: isAdmin })
  if (!entry) throw notFound()
  if (isAdmin) await access.log('view_quarantine_payload', { practiceId: entry.practiceId, target: `quarantine:${id}` })
  const { payload, ...rest } = entry
  return { entry: rest, payload: isAdmin ? JSON.stringify(payload, null, 2) : null }
}

/** How long the action waits to learn the new run's number before answering anyway. */
const START_WAIT_MS = 5000

/**
 * Starts collecting one source in the background and says how it went: the run it started, or
 * that the source is already being collected (the PostgreSQL lock in runJob, which also holds
 * against other server and runner processes). The collection itself may take minutes, so the
 * response does not wait for it; its progress shows in the run history.
 */
export async function startCollection(
  access: Access,
  source: SourceRow,
): Promise<{ kind: 'started'; runId: number | null } | { kind: 'running' }> {
  const db = access.db
  const before = await newestRunId(db, COLLECT_JOB, source.id)
  let settled: SourceResult | null = null
  let failed = false
  // collect() (not collectSource) so the findings are refreshed when the run ends, as after any collection.
  collect(runnerDeps(access), { sourceId: source.id }, { trigger: 'manual' }).then(
    (results) => {
      settled = results[0] ?? null
    },
    (err: unknown) => {
      // collect records a failed collection on its run; this is a failure to even start one
      // (the database unreachable for the lock). It must not take the web server down with it.
      failed = true
      console.error(`Run now for source ${source.id} could not start: ${err instanceof Error ? err.message : String(err)}`)
    },
  )
  const deadline = Date.now() + START_WAIT_MS
  while (Date.now() < deadline) {
    const result = settled as SourceResult | null
    if (result) return result.status === 'skipped' ? { kind: 'running' } : { kind: 'started', runId: result.runId }
    if (failed)
      throw new Response('The collection could not be started: the database did not answer. Try again in a moment.', { status: 503 })
    const run = await runStartedAfter(db, COLLECT_JOB, source.id, before)
    if (run) return { kind: 'started', runId: run.id }
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  return { kind: 'started', runId: null }
}

/** POST /jobs/sources/:id/run */
export async function runNow(args: Args) {
  const access = await requireAccess(args, { roles: RUN_NOW_ROLES })
  const id = idParam(args.params?.id)
  const source = await getSourceInScope(access.db, { practiceIds: access.viewer.practices.map((p) => p.id) }, id)
  if (!source) throw notFound()
  if (source.kind !== 'fhir') {
    throw new Response(
      'Only practice-system (FHIR) sources are collected on demand; CSV files are imported when they arrive in the inbox.',
      { status: 400 },
    )
  }
  if (!source.enabled) {
    throw new Response(`${source.name} is disabled: an administrator can enable it on the Admin > Sources page.`, { status: 400 })
  }
  const outcome = await startCollection(access, source)
  await access.log('run_now', {
    practiceId: source.practice_id,
    target: `source:${source.id}`,
    detail: outcome.kind === 'started' ? { result: 'started', runId: outcome.runId } : { result: 'already running' },
  })
  const back = new URLSearchParams({ notice: outcome.kind, noticeSource: String(source.id) })
  if (outcome.kind === 'started' && outcome.runId !== null) back.set('noticeRun', String(outcome.runId))
  return redirect(`/jobs?${back}`)
}
