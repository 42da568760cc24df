import { LedgerStatus } from '../components/ledger-status.js'
import { json, type LoaderFunctionArgs, type MetaFunction, type SerializeFrom } from '@remix-run/node'
import { Form, Link, useLoaderData, useLocation, useRevalidator } from '@remix-run/react'
import { useEffect, useRef } from 'react'
import { CsrfField } from '../components/csrf-field.js'
import { FilterBar } from '../components/filter-bar.js'
import { Pager } from '../components/pager.js'
import { formatCount, formatDateTime } from '../../core/format.js'
import { DataTable } from '../components/data-table.js'
import { getJobsPage } from '../lib/jobs.server.js'
import { RUN_COUNT_LABELS, RUN_STATUS_LABELS, RUN_TRIGGER_LABELS, SOURCE_KIND_LABELS } from '../../core/labels.js'

export const meta: MetaFunction = () => [{ title: 'Jobs and sources – Sharing Ledger' }]

export async function loader(args: LoaderFunctionArgs) {
  return json(await getJobsPage(args))
}

type JobsData = SerializeFrom<typeof loader>

/** 1440 -> "24 hours", 90 -> "90 minutes", 2880 -> "2 days". */
function formatMinutes(minutes: number): string {
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`
  if (minutes % 1440 === 0 && minutes >= 2880) return plural(minutes / 1440, 'day')
  if (minutes % 60 === 0) return plural(minutes / 60, 'hour')
  return plural(minutes, 'minute')
}

export default function Jobs() {
  const data = useLoaderData<typeof loader>()
  const { search } = useLocation()
  useRefreshWhileRunning(data.runs.rows.some((r) => r.status === 'active') || data.sources.some((s) => s.lastRunStatus === 'active'))
  return (
    <>
      <h1>Jobs and sources</h1>
      <div role="status" aria-live="polite" className="jobs-notice-region">
        {data.notice && (
          <p className="notice" data-testid="jobs-notice">
            {data.notice.kind === 'running'
              ? `${data.notice.sourceName} is already being collected: wait for that run to finish, then try again if you need to.`
              : data.notice.runId !== null
                ? `Collection started: run ${data.notice.runId} (${data.notice.sourceName}). Its progress shows in the run history below.`
                : `Collection started for ${data.notice.sourceName}. Its run appears in the run history below in a moment.`}
          </p>
        )}
      </div>
      <Schedules schedules={data.schedules} />
      <LedgerStatus status={data.ledger} />
      <Sources sources={data.sources} canRunNow={data.canRunNow} />
      <FilterBar from={data.period.from} to={data.period.to}>
        <div>
          <label htmlFor="filter-source">Source</label>
          <select id="filter-source" key={String(data.filter.source ?? '')} name="source" defaultValue={data.filter.source ?? ''}>
            <option value="">Any source</option>
            {data.sources.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name} ({s.practiceOds ?? 'national'})
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="filter-status">Status</label>
          <select id="filter-status" key={String(data.filter.status ?? '')} name="status" defaultValue={data.filter.status ?? ''}>
            <option value="">Any status</option>
            {Object.entries(RUN_STATUS_LABELS).map(([value, text]) => (
              <option key={value} value={value}>
                {text}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="filter-job">Job</label>
          <select id="filter-job" key={String(data.filter.job ?? '')} name="job" defaultValue={data.filter.job ?? ''}>
            <option value="">Any job</option>
            {data.jobNames.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </div>
      </FilterBar>
      <RunHistory runs={data.runs} search={search} />
      <Quarantine quarantine={data.quarantine} canSeePayload={data.canSeePayload} search={search} />
    </>
  )
}

/** While a run is in progress, reload the figures every few seconds so its counts and end show up. */
function useRefreshWhileRunning(active: boolean) {
  const revalidator = useRevalidator()
  const ref = useRef(revalidator)
  ref.current = revalidator
  useEffect(() => {
    if (!active) return
    const timer = setInterval(() => {
      if (ref.current.state === 'idle') ref.current.revalidate()
    }, 2000)
    return () => clearInterval(timer)
  }, [active])
}

function Schedules({ schedules }: { schedules: JobsData['schedules'] }) {
  return (
    <section className="panel" aria-labelledby="schedules-heading">
      <h2 id="schedules-heading">Schedules</h2>
      <p className="hint">
        Set in the server's configuration (COLLECT_SCHEDULE, IMPORT_SCHEDULE, LEDGER_SCHEDULE, SCHEDULE_TIMEZONE). Any number of runner
        processes may share a schedule: a database lock lets only one of them collect a source at a time.
      </p>
      <DataTable
        caption="Scheduled jobs"
        rows={schedules}
        rowKey={(s) => s.name}
        columns={[
          { header: 'Job', rowHeader: true, cell: (s) => s.name },
          {
            header: 'When',
            cell: (s) => (
              <>
                <code>{s.expression}</code>
                {s.description && <div>{s.description}</div>}
              </>
            ),
          },
          { header: 'Time zone', cell: (s) => s.timezone },
          { header: 'Scheduler in this server', cell: (s) => (s.enabled ? 'On' : 'Off') },
          { header: 'Next run', cell: (s) => (s.nextRun ? formatDateTime(s.nextRun) : s.enabled ? '–' : 'Not scheduled here') },
          {
            header: 'Last run',
            cell: (s) =>
              s.lastRun ? (
                <>
                  Run {s.lastRun.id}, <span className={`status--${s.lastRun.status}`}>{RUN_STATUS_LABELS[s.lastRun.status]}</span>,{' '}
                  {formatDateTime(s.lastRun.startedAt)}
                </>
              ) : (
                'Never'
              ),
          },
        ]}
      />
    </section>
  )
}

function Sources({ sources, canRunNow }: { sources: JobsData['sources']; canRunNow: boolean }) {
  const silent = sources.filter((s) => s.silent)
  return (
    <section className="panel" aria-labelledby="sources-heading">
      <h2 id="sources-heading">Sources</h2>
      {sources.length === 0 ? (
        <p>
          No sources yet for these practices. An administrator adds a practice system on the{' '}
          <Link to="/admin/sources">Admin &gt; Sources</Link> page; NDOP and disclosure register files are picked up from the inbox.
        </p>
      ) : (
        <>
          {silent.length > 0 && (
            <p className="status--failed" data-testid="silent-summary">
              {silent.length === 1 ? '1 source has' : `${silent.length} sources have`} gone silent: no successful collection for longer than
              expected.
            </p>
          )}
          <DataTable
            caption="Sources and their health"
            rows={sources}
            rowKey={(s) => s.id}
            rowProps={(s) => ({ 'data-testid': `source-${s.id}` })}
            columns={[
              {
                header: 'Source',
                rowHeader: true,
                cell: (s) => (
                  <>
                    {s.name}
                    <div className="hint">{SOURCE_KIND_LABELS[s.kind] ?? s.kind}</div>
                  </>
                ),
              },
              { header: 'Practice', cell: (s) => (s.practiceOds ? `${s.practiceName} (${s.practiceOds})` : 'National') },
              {
                header: 'Health',
                cell: (s) =>
                  !s.enabled ? (
                    'Disabled'
                  ) : s.silent ? (
                    <strong className="status--failed">Silent</strong>
                  ) : s.lastRunStatus === 'active' ? (
                    'Collecting now'
                  ) : s.lastSuccessAt ? (
                    <span className="status--completed">Delivering</span>
                  ) : (
                    'Waiting for first collection'
                  ),
              },
              {
                header: 'Last run',
                cell: (s) =>
                  s.lastRunId ? (
                    <>
                      Run {s.lastRunId},{' '}
                      <span className={`status--${s.lastRunStatus}`}>{RUN_STATUS_LABELS[s.lastRunStatus ?? ''] ?? s.lastRunStatus}</span>
                      <div className="hint">{formatDateTime(s.lastRunFinishedAt ?? s.lastRunStartedAt!)}</div>
                      {s.lastRunError && <div className="hint">{s.lastRunError}</div>}
                    </>
                  ) : (
                    'Never run'
                  ),
              },
              { header: 'Last successful run', cell: (s) => (s.lastSuccessAt ? formatDateTime(s.lastSuccessAt) : 'None yet') },
              { header: 'Expected every', cell: (s) => formatMinutes(s.expectedIntervalMinutes) },
              canRunNow && {
                header: 'Collect',
                cell: (s) =>
                  s.kind === 'fhir' && s.enabled ? (
                    <Form method="post" action={`/jobs/sources/${s.id}/run`}>
                      <CsrfField />
                      <button type="submit" className="button button--small">
                        Run now<span className="visually-hidden"> for {s.name}</span>
                      </button>
                    </Form>
                  ) : (
                    <span className="hint">{s.kind === 'fhir' ? 'Disabled' : 'From the inbox'}</span>
                  ),
              },
            ]}
          />
        </>
      )}
    </section>
  )
}

function RunHistory({ runs, search }: { runs: JobsData['runs']; search: string }) {
  const csvSearch = new URLSearchParams(search)
  for (const name of ['page', 'qpage', 'notice', 'noticeSource', 'noticeRun']) csvSearch.delete(name)
  const csv = csvSearch.toString()
  return (
    <section className="panel" aria-labelledby="runs-heading">
      <h2 id="runs-heading">Run history</h2>
      {runs.total === 0 ? (
        <p>
          No runs match these filters. Runs appear here once a scheduled collection or import has run, or after Run now; clear the filters
          to see every run.
        </p>
      ) : (
        <>
          <p>
            <Link to={`/jobs.csv${csv ? `?${csv}` : ''}`} reloadDocument>
              Download {runs.total === 1 ? 'this run' : `these ${formatCount(runs.total)} runs`} as CSV
            </Link>
          </p>
          <DataTable
            className="runs-table"
            caption="Collector and import runs, newest first"
            rows={runs.rows}
            rowKey={(r) => r.id}
            rowProps={(r) => ({ 'data-testid': `run-${r.id}` })}
            columns={[
              { header: 'Run', rowHeader: true, cell: (r) => r.id },
              { header: 'Job', cell: (r) => r.jobName },
              {
                header: 'Source',
                cell: (r) => (
                  <>
                    {r.sourceName ?? '–'}
                    {r.sourceName && <div className="hint">{r.practiceOds ?? 'National'}</div>}
                  </>
                ),
              },
              { header: 'Trigger', cell: (r) => RUN_TRIGGER_LABELS[r.trigger] ?? r.trigger },
              {
                header: 'Status',
                cell: (r) => (
                  <>
                    <span className={`status--${r.status}`}>{RUN_STATUS_LABELS[r.status] ?? r.status}</span>
                    {r.error && <div className="hint run-error">{r.error}</div>}
                  </>
                ),
              },
              { header: 'Started', cell: (r) => formatDateTime(r.startedAt) },
              { header: 'Finished', cell: (r) => (r.finishedAt ? formatDateTime(r.finishedAt) : '–') },
              { header: RUN_COUNT_LABELS.read, numeric: true, cell: (r) => formatCount(r.readCount) },
              { header: RUN_COUNT_LABELS.inserted, numeric: true, cell: (r) => formatCount(r.insertedCount) },
              { header: RUN_COUNT_LABELS.updated, numeric: true, cell: (r) => formatCount(r.updatedCount) },
              { header: RUN_COUNT_LABELS.duplicates, numeric: true, cell: (r) => formatCount(r.duplicateCount) },
              { header: RUN_COUNT_LABELS.quarantined, numeric: true, cell: (r) => formatCount(r.quarantinedCount) },
            ]}
          />
          <Pager total={runs.total} page={runs.page} pageSize={runs.pageSize} label="Run history pages" />
        </>
      )}
    </section>
  )
}

function Quarantine({ quarantine, canSeePayload, search }: { quarantine: JobsData['quarantine']; canSeePayload: boolean; search: string }) {
  const practice = new URLSearchParams(search).getAll('practice')
  const csvSearch = new URLSearchParams(practice.map((p) => ['practice', p]))
  return (
    <section className="panel" aria-labelledby="quarantine-heading">
      <h2 id="quarantine-heading">Quarantine</h2>
      <p className="hint">
        Records a collector could not load (an unknown code, a missing patient, an R5 shape), set aside with the reason while the rest of
        the batch went on. A record leaves the quarantine when a later collection loads it, for example after an administrator adds a code
        mapping.{' '}
        {canSeePayload
          ? 'Open a record to see the raw payload (it may identify a patient; each view is logged).'
          : 'The raw records may identify a patient, so only administrators can open them.'}
      </p>
      {quarantine.total === 0 ? (
        <p>Nothing is waiting in quarantine for these practices.</p>
      ) : (
        <>
          <p>
            <Link to={`/jobs/quarantine.csv${csvSearch.size ? `?${csvSearch}` : ''}`} reloadDocument>
              Download the {formatCount(quarantine.total)} quarantined {quarantine.total === 1 ? 'record' : 'records'} as CSV (reasons only)
            </Link>
          </p>
          <DataTable
            caption="Records waiting in quarantine, most recently seen first"
            rows={quarantine.rows}
            rowKey={(q) => q.id}
            rowProps={(q) => ({ 'data-testid': `quarantine-${q.id}` })}
            columns={[
              {
                header: 'Record',
                rowHeader: true,
                cell: (q) => (
                  <Link to={`/jobs/quarantine/${q.id}`}>
                    {q.resourceType ? `${q.resourceType} ` : ''}
                    {q.recordKey}
                  </Link>
                ),
              },
              { header: 'Reason', cellClassName: 'break-anywhere', cell: (q) => q.reason },
              {
                header: 'Source',
                cell: (q) => (
                  <>
                    {q.sourceName}
                    <div className="hint">{q.practiceOds ?? 'National'}</div>
                  </>
                ),
              },
              {
                header: 'First seen',
                cell: (q) => (
                  <>
                    {formatDateTime(q.firstSeenAt)}
                    {q.firstRunId && <div className="hint">run {q.firstRunId}</div>}
                  </>
                ),
              },
              {
                header: 'Last seen',
                cell: (q) => (
                  <>
                    {formatDateTime(q.lastSeenAt)}
                    {q.lastRunId && <div className="hint">run {q.lastRunId}</div>}
                  </>
                ),
              },
            ]}
          />
          <Pager total={quarantine.total} page={quarantine.page} pageSize={quarantine.pageSize} param="qpage" label="Quarantine pages" />
        </>
      )}
    </section>
  )
}
