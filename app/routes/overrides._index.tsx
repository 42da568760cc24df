import { json, type LoaderFunctionArgs, type MetaFunction, type SerializeFrom } from '@remix-run/node'
import { Link, useLoaderData, useLocation } from '@remix-run/react'
import { FilterBar } from '../components/filter-bar.js'
import { DataTable, type Columns } from '../components/data-table.js'
import { DueStatus } from '../components/override-due-status.js'
import { Pager } from '../components/pager.js'
import { formatCount, formatDateTime } from '../../core/format.js'
import { OVERRIDE_STATUS_LABELS } from '../../core/labels.js'
import { getOverrideQueue } from '../lib/overrides.server.js'

export const meta: MetaFunction = () => [{ title: 'Override reviews – Sharing Ledger' }]

export async function loader(args: LoaderFunctionArgs) {
  return json(await getOverrideQueue(args), { headers: { 'Cache-Control': 'no-store' } })
}

type QueueEvent = SerializeFrom<typeof loader>['events'][number]

export default function OverrideQueue() {
  const { period, filter, reviewDays, counts, total, page, pageSize, events, awaitingMine } = useLoaderData<typeof loader>()
  const { search } = useLocation()
  const filtered = filter.status !== 'all' || filter.overdueOnly
  return (
    <>
      <h1>Override reviews</h1>
      <p className="hint">
        Every emergency access (“break glass”) and every sharing against a patient’s recorded choice needs a Caldicott guardian’s review
        within {reviewDays} days. Open an event to see its facts, its reviews, and to sign a review.
      </p>
      <FilterBar from={period.from} to={period.to}>
        <div>
          <label htmlFor="filter-status">Status</label>
          <select id="filter-status" name="status" defaultValue={filter.status}>
            <option value="all">All events</option>
            <option value="pending">{OVERRIDE_STATUS_LABELS.pending}</option>
            <option value="reviewed">{OVERRIDE_STATUS_LABELS.reviewed}</option>
          </select>
        </div>
        <div className="filter-check">
          <input id="filter-overdue" type="checkbox" name="overdue" value="1" defaultChecked={filter.overdueOnly} />
          <label htmlFor="filter-overdue">Overdue only</label>
        </div>
      </FilterBar>
      {awaitingMine.length > 0 && (
        <section className="panel" aria-labelledby="awaiting-mine-heading" data-testid="awaiting-mine">
          <h2 id="awaiting-mine-heading">Awaiting your countersignature</h2>
          <p className="hint">
            These reviews name you as second signer. Each is complete only when you countersign it; you may instead decline, with your
            reason.
          </p>
          <ul>
            {awaitingMine.map((a) => (
              <li key={a.reviewId}>
                <Link to={`/overrides/${a.eventId}`}>
                  Event {a.eventId} ({a.practiceOds}): {a.kindLabel}
                </Link>{' '}
                – {a.verdictLabel}, signed by {a.reviewerName} on {formatDateTime(a.signedAt)}
              </li>
            ))}
          </ul>
        </section>
      )}
      <section className="panel" aria-labelledby="queue-summary-heading">
        <h2 id="queue-summary-heading" className="visually-hidden">
          Summary
        </h2>
        <dl className="key-figures">
          <div>
            <dt>Awaiting review</dt>
            <dd data-testid="overrides-pending">{formatCount(counts.pending)}</dd>
          </div>
          <div>
            <dt>Overdue (more than {reviewDays} days old)</dt>
            <dd data-testid="overrides-overdue" className={counts.overdue > 0 ? 'overdue-figure' : undefined}>
              {formatCount(counts.overdue)}
            </dd>
          </div>
        </dl>
      </section>
      {events.length === 0 ? (
        <div className="panel">
          <h2>{total === 0 && !filtered ? 'No override events' : 'No events match these filters'}</h2>
          <p>
            {total === 0 && !filtered
              ? 'No override event has been collected for these practices and dates. Override events arrive from the practice systems’ audit trail with each collection run; widen the dates or check the Jobs page.'
              : 'Nothing matches. Choose “All events”, untick “Overdue only” or widen the dates.'}
          </p>
        </div>
      ) : (
        <section className="panel" aria-labelledby="queue-heading">
          <h2 id="queue-heading">
            {formatCount(total)} {total === 1 ? 'event' : 'events'}
          </h2>
          <p>
            <Link to={`/overrides.csv${search}`} reloadDocument>
              Download these events as CSV
            </Link>
          </p>
          <DataTable
            className="override-queue"
            caption="Override events, those awaiting review first, then by due date"
            rows={events}
            rowKey={(e) => e.id}
            rowProps={(e) => ({ 'data-testid': `override-${e.id}`, className: e.overdue ? 'row--overdue' : undefined })}
            columns={queueColumns(new URLSearchParams(search).toString())}
          />
          <Pager total={total} page={page} pageSize={pageSize} label="Pages of override events" />
        </section>
      )}
    </>
  )
}

/** The queue's columns; `back` is this page's query, kept on the way to an event and back. */
function queueColumns(back: string): Columns<QueueEvent> {
  return [
    {
      header: 'Event',
      rowHeader: true,
      cell: (e) => (
        <>
          <Link to={`/overrides/${e.id}${back ? `?${back}` : ''}`}>
            Event {e.id}
            <span className="visually-hidden">, {e.statusLabel}</span>
          </Link>
          <div>{formatDateTime(e.occurredAt)}</div>
          <div className="hint">
            {e.practiceName} ({e.practiceOds})
          </div>
        </>
      ),
    },
    { header: 'Patient', cell: (e) => <code>{e.patientPseudonym}</code> },
    {
      header: 'What happened',
      cell: (e) => (
        <>
          <div>{e.kindLabel}</div>
          <dl className="mini-facts">
            <div>
              <dt>Reason</dt>
              <dd>{e.reason}</dd>
            </div>
            <div>
              <dt>Purpose</dt>
              <dd>{e.purpose}</dd>
            </div>
            <div>
              <dt>Legal basis</dt>
              <dd>{e.legalBasis}</dd>
            </div>
          </dl>
          {e.description && <div className="hint">{e.description}</div>}
        </>
      ),
    },
    {
      header: 'Who, and shared with',
      cell: (e) => (
        <>
          <div>{[e.actorRole, e.actor].filter(Boolean).join(', ') || 'Not recorded'}</div>
          <div className="hint">{e.recipient ? `Shared with ${e.recipient}` : 'No recipient recorded'}</div>
        </>
      ),
    },
    {
      header: 'Review due',
      cell: (e) => (
        <>
          <div>{formatDateTime(e.dueAt)}</div>
          <DueStatus event={e} />
        </>
      ),
    },
    { header: 'Latest verdict', cell: (e) => <LatestVerdict event={e} /> },
  ]
}

function LatestVerdict({ event: e }: { event: QueueEvent }) {
  if (!e.latest) return <span className={e.status === 'pending' ? 'status-pending' : 'hint'}>{e.statusLabel}</span>
  return (
    <>
      <strong>{e.latest.verdictLabel}</strong>
      {e.status === 'awaiting_countersignature' && (
        <div className="status-pending">Awaiting countersignature by {e.awaitingCountersignatureBy}</div>
      )}
      {e.status === 'pending' && <div className="status-pending">Countersignature declined: needs a new review</div>}
      <div className="hint">
        {e.latest.reviewerName}, {formatDateTime(e.latest.signedAt)}
      </div>
      {e.latest.escalated && <div className="tag">Escalated to incident</div>}
      {e.reviewCount > 1 && <div className="hint">{e.reviewCount} reviews in all</div>}
    </>
  )
}
