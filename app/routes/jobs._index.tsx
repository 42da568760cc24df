import { LedgerStatus } from '../components/ledger-status.js'
import { json, type LoaderFunctionArgs, type MetaFunction, type SerializeFrom } from '@remix-run/node'
import { Form, Link, useLoaderData, useLocation, useRevalidator } from '@remix-run/react'
import { useEffect, useRef } from 'react'
import { CsrfField } from '../components/csrf-field.js'
import { FilterBar } from '../components/filter-bar.js'
import { Pager } from '../components/pager.js'
import { formatCount, formatDateTime } from '../../core/format.js'
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
        Set in the server's configuration (COLLECT_SCHEDULE, IMPORT_SCHEDULE, LEDGER_SCHEDULE, SCHEDULE_TIMEZONE). Any number of runner processes may share
        a schedule: a database lock lets only one of them collect a source at a time.
      </p>
      <div className="table-scroll">
        <table>
          <caption>Scheduled jobs</caption>
          <thead>
            <tr>
              <th scope="col">Job</th>
              <th scope="col">When</th>
              <th scope="col">Time zone</th>
              <th scope="col">Scheduler in this server</th>
              <th scope="col">Next run</th>
              <th scope="col">Last run</th>
            </tr>
          </thead>
          <tbody>
            {schedules.map((s) => (
              <tr key={s.name}>
                <th scope="row">{s.name}</th>
                <td>
                  <code>{s.expression}</code>
                  {s.description && <div>{s.description}</div>}
                </td>
                <td>{s.timezone}</td>
                <td>{s.enabled ? 'On' : 'Off'}</td>
                <td>{s.nextRun ? formatDateTime(s.nextRun) : s.enabled ? '–' : 'Not scheduled here'}</td>
                <td>
                  {s.lastRun ? (
                    <>
                      Run {s.lastRun.id}, <span className={`status--${s.lastRun.status}`}>{RUN_STATUS_LABELS[s.lastRun.status]}</span>,{' '}
                      {formatDateTime(s.lastRun.startedAt)}
                    </>
                  ) : (
                    'Never'
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
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
          No sources yet for these practices. An administrator adds a practice system on the <Link to="/admin/sources">Admin &gt; Sources</Link>{' '}
          page; NDOP and disclosure register files are picked up from the inbox.
        </p>
      ) : (
        <>
          {silent.length > 0 && (
            <p className="status--failed" data-testid="silent-summary">
              {silent.length === 1 ? '1 source has' : `${silent.length} sources have`} gone silent: no successful collection for longer than
              expected.
            </p>
          )}
          <div className="table-scroll">
            <table>
              <caption>Sources and their health</caption>
              <thead>
                <tr>
                  <th scope="col">Source</th>
                  <th scope="col">Practice</th>
                  <th scope="col">Health</th>
                  <th scope="col">Last run</th>
                  <th scope="col">Last successful run</th>
                  <th scope="col">Expected every</th>
                  {canRunNow && <th scope="col">Collect</th>}
                </tr>
              </thead>
              <tbody>
                {sources.map((s) => (
                  <tr key={s.id} data-testid={`source-${s.id}`}>
                    <th scope="row">
                      {s.name}
                      <div className="hint">{SOURCE_KIND_LABELS[s.kind] ?? s.kind}</div>
                    </th>
                    <td>{s.practiceOds ? `${s.practiceName} (${s.practiceOds})` : 'National'}</td>
                    <td>
                      {!s.enabled ? (
                        'Disabled'
                      ) : s.silent ? (
                        <strong className="status--failed">Silent</strong>
                      ) : s.lastRunStatus === 'active' ? (
                        'Collecting now'
                      ) : s.lastSuccessAt ? (
                        <span className="status--completed">Delivering</span>
                      ) : (
                        'Waiting for first collection'
                      )}
                    </td>
                    <td>
                      {s.lastRunId ? (
                        <>
                          Run {s.lastRunId}, <span className={`status--${s.lastRunStatus}`}>{RUN_STATUS_LABELS[s.lastRunStatus ?? ''] ?? s.lastRunStatus}</span>
                          <div className="hint">{formatDateTime(s.lastRunFinishedAt ?? s.lastRunStartedAt!)}</div>
                          {s.lastRunError && <div className="hint">{s.lastRunError}</div>}
                        </>
                      ) : (
                        'Never run'
                      )}
                    </td>
                    <td>{s.lastSuccessAt ? formatDateTime(s.lastSuccessAt) : 'None yet'}</td>
                    <td>{formatMinutes(s.expectedIntervalMinutes)}</td>
                    {canRunNow && (
                      <td>
                        {s.kind === 'fhir' && s.enabled ? (
                          <Form method="post" action={`/jobs/sources/${s.id}/run`}>
                            <CsrfField />
                            <button type="submit" className="button button--small">
                              Run now<span className="visually-hidden"> for {s.name}</span>
                            </button>
                          </Form>
                        ) : (
                          <span className="hint">{s.kind === 'fhir' ? 'Disabled' : 'From the inbox'}</span>
                        )}
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
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
          No runs match these filters. Runs appear here once a scheduled collection or import has run, or after Run now; clear the filters to
          see every run.
        </p>
      ) : (
        <>
          <p>
            <Link to={`/jobs.csv${csv ? `?${csv}` : ''}`} reloadDocument>
              Download {runs.total === 1 ? 'this run' : `these ${formatCount(runs.total)} runs`} as CSV
            </Link>
          </p>
          <div className="table-scroll">
            <table className="runs-table">
              <caption>Collector and import runs, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Run</th>
                  <th scope="col">Job</th>
                  <th scope="col">Source</th>
                  <th scope="col">Trigger</th>
                  <th scope="col">Status</th>
                  <th scope="col">Started</th>
                  <th scope="col">Finished</th>
                  <th scope="col" className="numeric">
                    {RUN_COUNT_LABELS.read}
                  </th>
                  <th scope="col" className="numeric">
                    {RUN_COUNT_LABELS.inserted}
                  </th>
                  <th scope="col" className="numeric">
                    {RUN_COUNT_LABELS.updated}
                  </th>
                  <th scope="col" className="numeric">
                    {RUN_COUNT_LABELS.duplicates}
                  </th>
                  <th scope="col" className="numeric">
                    {RUN_COUNT_LABELS.quarantined}
                  </th>
                </tr>
              </thead>
              <tbody>
                {runs.rows.map((r) => (
                  <tr key={r.id} data-testid={`run-${r.id}`}>
                    <th scope="row">{r.id}</th>
                    <td>{r.jobName}</td>
                    <td>
                      {r.sourceName ?? '–'}
                      {r.sourceName && <div className="hint">{r.practiceOds ?? 'National'}</div>}
                    </td>
                    <td>{RUN_TRIGGER_LABELS[r.trigger] ?? r.trigger}</td>
                    <td>
                      <span className={`status--${r.status}`}>{RUN_STATUS_LABELS[r.status] ?? r.status}</span>
                      {r.error && <div className="hint run-error">{r.error}</div>}
                    </td>
                    <td>{formatDateTime(r.startedAt)}</td>
                    <td>{r.finishedAt ? formatDateTime(r.finishedAt) : '–'}</td>
                    <td className="numeric">{formatCount(r.readCount)}</td>
                    <td className="numeric">{formatCount(r.insertedCount)}</td>
                    <td className="numeric">{formatCount(r.updatedCount)}</td>
                    <td className="numeric">{formatCount(r.duplicateCount)}</td>
                    <td className="numeric">{formatCount(r.quarantinedCount)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
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
        Records a collector could not load (an unknown code, a missing patient, an R5 shape), set aside with the reason while the rest of the
        batch went on. A record leaves the quarantine when a later collection loads it, for example after an administrator adds a code
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
          <div className="table-scroll">
            <table>
              <caption>Records waiting in quarantine, most recently seen first</caption>
              <thead>
                <tr>
                  <th scope="col">Record</th>
                  <th scope="col">Reason</th>
                  <th scope="col">Source</th>
                  <th scope="col">First seen</th>
                  <th scope="col">Last seen</th>
                </tr>
              </thead>
              <tbody>
                {quarantine.rows.map((q) => (
                  <tr key={q.id} data-testid={`quarantine-${q.id}`}>
                    <th scope="row">
                      <Link to={`/jobs/quarantine/${q.id}`}>
                        {q.resourceType ? `${q.resourceType} ` : ''}
                        {q.recordKey}
                      </Link>
                    </th>
                    <td className="break-anywhere">{q.reason}</td>
                    <td>
                      {q.sourceName}
                      <div className="hint">{q.practiceOds ?? 'National'}</div>
                    </td>
                    <td>
                      {formatDateTime(q.firstSeenAt)}
                      {q.firstRunId && <div className="hint">run {q.firstRunId}</div>}
                    </td>
                    <td>
                      {formatDateTime(q.lastSeenAt)}
                      {q.lastRunId && <div className="hint">run {q.lastRunId}</div>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager total={quarantine.total} page={quarantine.page} pageSize={quarantine.pageSize} param="qpage" label="Quarantine pages" />
        </>
      )}
    </section>
  )
}
