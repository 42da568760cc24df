import { json, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Link, useLoaderData } from '@remix-run/react'
import { formatDateTime } from '../../core/format.js'
import { getQuarantineDetail } from '../lib/jobs.server.js'

export const meta: MetaFunction = () => [{ title: 'Quarantined record – Sharing Ledger' }]

export async function loader(args: LoaderFunctionArgs) {
  return json(await getQuarantineDetail(args), { headers: { 'Cache-Control': 'no-store' } })
}

export default function QuarantineDetail() {
  const { entry, payload } = useLoaderData<typeof loader>()
  return (
    <>
      <p>
        <Link to="/jobs">Back to jobs and sources</Link>
      </p>
      <h1>Quarantined record {entry.id}</h1>
      <section className="panel" aria-labelledby="quarantine-facts">
        <h2 id="quarantine-facts">Why it was set aside</h2>
        <dl className="facts">
          <div>
            <dt>Reason</dt>
            <dd data-testid="quarantine-reason">{entry.reason}</dd>
          </div>
          <div>
            <dt>Record key</dt>
            <dd>
              {entry.resourceType ? `${entry.resourceType} ` : ''}
              <code>{entry.recordKey}</code>
            </dd>
          </div>
          <div>
            <dt>Source</dt>
            <dd>
              {entry.sourceName} ({entry.practiceOds ?? 'national'})
            </dd>
          </div>
          <div>
            <dt>Status</dt>
            <dd>{entry.status === 'pending' ? 'Waiting in quarantine' : `Resolved${entry.resolution ? `: ${entry.resolution}` : ''}`}</dd>
          </div>
          <div>
            <dt>First seen</dt>
            <dd>
              {formatDateTime(entry.firstSeenAt)}
              {entry.firstRunId && ` (run ${entry.firstRunId})`}
            </dd>
          </div>
          <div>
            <dt>Last seen</dt>
            <dd>
              {formatDateTime(entry.lastSeenAt)}
              {entry.lastRunId && ` (run ${entry.lastRunId})`}
            </dd>
          </div>
        </dl>
      </section>
      <section className="panel" aria-labelledby="quarantine-payload">
        <h2 id="quarantine-payload">The record as received</h2>
        {payload === null ? (
          <p data-testid="payload-withheld">
            The raw record may identify a patient (an NHS number, a name), so only administrators can see it. The reason above says what to
            fix; ask an administrator if you need more.
          </p>
        ) : (
          <>
            <p className="hint">
              This may identify a patient. Your viewing it has been written to the access log. Do not copy it elsewhere.
            </p>
            <pre className="payload" data-testid="quarantine-payload" tabIndex={0} aria-label="Raw record (JSON)">
              {payload}
            </pre>
          </>
        )}
      </section>
    </>
  )
}
