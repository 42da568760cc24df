import { json, type LoaderFunctionArgs, type MetaFunction, type SerializeFrom } from '@remix-run/node'
import { Form, Link, useLoaderData } from '@remix-run/react'
import { HorizontalBarChart } from '../components/charts/horizontal-bar-chart.js'
import { formatCount, formatDateTime, formatDay } from '../lib/format.js'
import { getOverview } from '../lib/overview.server.js'
import { readPeriod } from '../lib/period.server.js'

export const meta: MetaFunction = () => [{ title: 'Overview – Sharing Ledger' }]

export async function loader({ request, context }: LoaderFunctionArgs) {
  const period = readPeriod(new URL(request.url))
  return json({ period, ...(await getOverview(context, period)) })
}

type OverviewData = SerializeFrom<typeof loader>

/** How many bars a chart shows; the table beside it always lists every row. */
const CHART_ROWS = 10

const RUN_STATUS_TEXT: Record<string, string> = {
  active: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Stopped',
}

export default function Overview() {
  const data = useLoaderData<typeof loader>()
  const { period, collected } = data
  return (
    <>
      <h1>Overview</h1>
      <PeriodForm from={period.from} to={period.to} />
      {collected.first === null ? (
        <div className="panel">
          <h2>No disclosures collected yet</h2>
          <p>
            Add a source with <code>npm run ledger -- source add ...</code> and run{' '}
            <code>npm run ledger -- collect --all</code>; the figures appear here once the first collection has run.
          </p>
        </div>
      ) : (
        <Disclosures data={data} />
      )}
      <CollectionRuns sources={data.sources} />
    </>
  )
}

function PeriodForm({ from, to }: { from?: string; to?: string }) {
  return (
    <Form method="get" className="panel period-form" aria-label="Period">
      <div>
        <label htmlFor="from">From</label>
        <input id="from" name="from" type="date" defaultValue={from ?? ''} />
      </div>
      <div>
        <label htmlFor="to">To</label>
        <input id="to" name="to" type="date" defaultValue={to ?? ''} />
      </div>
      <button type="submit" className="button">
        Show period
      </button>
      {(from || to) && <Link to="/">Show all dates</Link>}
    </Form>
  )
}

function describePeriod({ from, to }: { from?: string; to?: string }): string {
  if (from && to) return `from ${formatDay(from)} to ${formatDay(to)}`
  if (from) return `since ${formatDay(from)}`
  if (to) return `up to ${formatDay(to)}`
  return 'on all dates'
}

function Disclosures({ data }: { data: OverviewData }) {
  const { total, byPurpose, byRecipient, period, collected } = data
  const when = describePeriod(period)
  return (
    <>
      <section className="panel" aria-labelledby="total-heading">
        <h2 id="total-heading">Disclosures {when}</h2>
        <p className="key-figure">
          <span className="key-figure__value" data-testid="total-disclosures">
            {formatCount(total)}
          </span>{' '}
          {total === 1 ? 'disclosure' : 'disclosures'}
        </p>
        <p className="hint">
          Collected disclosures run from {formatDay(collected.first!)} to {formatDay(collected.last!)}.
          {total === 0 && ' None of them falls in this period: choose other dates.'}
        </p>
      </section>
      {total > 0 && (
        <>
          <section className="panel" aria-labelledby="purpose-heading">
            <h2 id="purpose-heading">By purpose</h2>
            <HorizontalBarChart name="Disclosures" data={byPurpose.slice(0, CHART_ROWS).map((p) => ({ label: p.label, value: p.disclosures }))} />
            <div className="table-scroll">
              <table>
                <caption>Disclosures by purpose, {when}</caption>
                <thead>
                  <tr>
                    <th scope="col">Purpose</th>
                    <th scope="col" className="numeric">
                      Disclosures
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {byPurpose.map((p) => (
                    <tr key={p.purpose}>
                      <th scope="row">{p.label}</th>
                      <td className="numeric">{formatCount(p.disclosures)}</td>
                    </tr>
                  ))}
                </tbody>
                <tfoot>
                  <tr>
                    <th scope="row">Total</th>
                    <td className="numeric">{formatCount(total)}</td>
                  </tr>
                </tfoot>
              </table>
            </div>
          </section>
          <section className="panel" aria-labelledby="recipient-heading">
            <h2 id="recipient-heading">By recipient</h2>
            <HorizontalBarChart name="Disclosures" data={byRecipient.slice(0, CHART_ROWS).map((r) => ({ label: r.name, value: r.disclosures }))} />
            <div className="table-scroll">
              <table>
                <caption>Disclosures by recipient, {when}</caption>
                <thead>
                  <tr>
                    <th scope="col">Recipient</th>
                    <th scope="col">Recipient type</th>
                    <th scope="col" className="numeric">
                      Disclosures
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {byRecipient.map((r) => (
                    <tr key={r.recipientId}>
                      <th scope="row">{r.name}</th>
                      <td>{r.recipientTypeLabel}</td>
                      <td className="numeric">{formatCount(r.disclosures)}</td>
                    </tr>
                  ))}
                </tbody>
                <tfoot>
                  <tr>
                    <th scope="row" colSpan={2}>
                      Total
                    </th>
                    <td className="numeric">{formatCount(total)}</td>
                  </tr>
                </tfoot>
              </table>
            </div>
          </section>
        </>
      )}
    </>
  )
}

function CollectionRuns({ sources }: { sources: OverviewData['sources'] }) {
  return (
    <section className="panel" aria-labelledby="collection-heading">
      <h2 id="collection-heading">Collection</h2>
      {sources.length === 0 ? (
        <p>
          No sources yet: add one with <code>npm run ledger -- source add ...</code>.
        </p>
      ) : (
        <div className="table-scroll">
          <table>
            <caption>Last run of each source</caption>
            <thead>
              <tr>
                <th scope="col">Source</th>
                <th scope="col">Practice</th>
                <th scope="col">Status</th>
                <th scope="col">Finished</th>
                <th scope="col" className="numeric">
                  Read
                </th>
                <th scope="col" className="numeric">
                  New
                </th>
                <th scope="col" className="numeric">
                  Corrected
                </th>
                <th scope="col" className="numeric">
                  Duplicates
                </th>
                <th scope="col" className="numeric">
                  Quarantined
                </th>
              </tr>
            </thead>
            <tbody>
              {sources.map((s) => (
                <tr key={s.sourceId}>
                  <th scope="row">{s.sourceName}</th>
                  <td>{s.practiceOds ?? 'National'}</td>
                  <td>
                    <span className={s.status ? `status--${s.status}` : undefined}>
                      {s.status ? RUN_STATUS_TEXT[s.status] : 'Never run'}
                    </span>
                    {s.error && <div className="hint">{s.error}</div>}
                  </td>
                  <td>{s.finishedAt ? formatDateTime(s.finishedAt) : '–'}</td>
                  <td className="numeric">{formatCount(s.readCount)}</td>
                  <td className="numeric">{formatCount(s.insertedCount)}</td>
                  <td className="numeric">{formatCount(s.updatedCount)}</td>
                  <td className="numeric">{formatCount(s.duplicateCount)}</td>
                  <td className="numeric">{formatCount(s.quarantinedCount)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}
