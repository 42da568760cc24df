import { defer, json, type LoaderFunctionArgs, type MetaFunction, type SerializeFrom } from '@remix-run/node'
import { Await, Link, useLoaderData } from '@remix-run/react'
import { Suspense } from 'react'
import { HorizontalBarChart } from '../components/charts/horizontal-bar-chart.js'
import { TrendChart } from '../components/charts/trend-chart.js'
import { DataTable } from '../components/data-table.js'
import { FilterBar } from '../components/filter-bar.js'
import { useKeptSearch } from '../lib/navigation.js'
import { formatCount, formatDateTime, formatDay, formatMonth } from '../../core/format.js'
import { RUN_COUNT_LABELS, RUN_STATUS_LABELS } from '../../core/labels.js'
import { getOverview } from '../lib/overview.server.js'

export const meta: MetaFunction = () => [{ title: 'Overview – Sharing Ledger' }]

export async function loader(args: LoaderFunctionArgs) {
  const overview = await getOverview(args)
  // An exact patient count that must be read from the raw rows (seconds for many practices just
  // after a collection) streams in after the rest of the page; a cached one comes with it.
  return typeof overview.patients === 'number' ? json(overview) : defer(overview)
}

type OverviewData = SerializeFrom<typeof loader>

/** How many bars a chart shows; the table beside it always lists every row. */
const CHART_ROWS = 10

export default function Overview() {
  const data = useLoaderData<typeof loader>()
  const { period, collected } = data
  const kept = useKeptSearch()
  const practiceOnly = withoutPeriod(kept)
  return (
    <>
      <h1>Overview</h1>
      <FilterBar from={period.from} to={period.to} />
      {data.withoutNotice.length > 0 && (
        <section className="panel" aria-labelledby="no-notice-heading" data-testid="no-notice">
          <h2 id="no-notice-heading">No privacy notice recorded</h2>
          <p>
            The ledger cannot check the promises of {data.withoutNotice.length === 1 ? 'this practice’s' : 'these practices’'} own privacy
            notice, because none is recorded: {data.withoutNotice.map((p) => `${p.name} (${p.odsCode})`).join(', ')}. An administrator
            records one with <code>npm run ledger -- notice import FILE --practice ODS</code>; see{' '}
            <Link to={`/promises${kept}`}>Promises</Link>.
          </p>
        </section>
      )}
      <section className="panel" aria-labelledby="totals-heading">
        <h2 id="totals-heading">At a glance, {describePeriod(period)}</h2>
        <dl className="key-figures">
          <div>
            <dt>Disclosures</dt>
            <dd data-testid="total-disclosures">{formatCount(data.total)}</dd>
          </div>
          <div>
            <dt>Patients affected</dt>
            <dd data-testid="patients-affected">
              <Suspense fallback={<span className="hint">Counting…</span>}>
                <Await
                  resolve={data.patients as number | Promise<number>}
                  errorElement={<span className="status--failed">Could not be counted; reload to try again</span>}
                >
                  {(patients) => formatCount(patients)}
                </Await>
              </Suspense>
            </dd>
          </div>
          {/* Work still to do counts on every date, whatever the period: the links open the same
              lists (practice kept, period dropped), so the figure and the list agree. */}
          <div>
            <dt>
              Overrides awaiting review <span className="hint">(all dates)</span>
            </dt>
            <dd data-testid="overrides-pending">
              <Link to={`/overrides${practiceOnly}`}>{formatCount(data.overrides.pending)}</Link>
              {data.overrides.overdue > 0 && <span className="status--failed"> ({formatCount(data.overrides.overdue)} overdue)</span>}
            </dd>
          </div>
          <div>
            <dt>
              Open findings <span className="hint">(all dates)</span>
            </dt>
            <dd data-testid="open-findings">
              <Link to={`/findings${practiceOnly}`}>{formatCount(data.openFindings)}</Link>
              {data.openHighFindings > 0 && (
                <span className="status--failed" data-testid="open-high-findings">
                  {' '}
                  (
                  <Link to={`/findings${practiceOnly}${practiceOnly ? '&' : '?'}severity=high`}>
                    {formatCount(data.openHighFindings)} high severity
                  </Link>
                  )
                </span>
              )}
            </dd>
          </div>
        </dl>
      </section>
      {collected.first === null ? (
        <div className="panel">
          <h2>No disclosures collected yet</h2>
          <p>
            Add a source with <code>npm run ledger -- source add ...</code> and run <code>npm run ledger -- collect --all</code>; the
            figures appear here once the first collection has run.
          </p>
        </div>
      ) : (
        <Disclosures data={data} />
      )}
      <CollectionRuns sources={data.sources} />
    </>
  )
}

/** The kept filters without the period: for figures that count every date. */
function withoutPeriod(search: string): string {
  const params = new URLSearchParams(search)
  params.delete('from')
  params.delete('to')
  const s = params.toString()
  return s ? `?${s}` : ''
}

/** Says when a chart leaves rows out, so a top 10 is never read as the whole picture. */
function TopNote({ shown, of, noun }: { shown: number; of: number; noun: string }) {
  if (of <= shown) return null
  return (
    <p className="hint">
      The chart shows {shown} of {formatCount(of)} {noun} (any with a prohibited purpose first, then the most used); the table lists them
      all.
    </p>
  )
}

/** A chart's axis label: 'Mar 2026' for a month, else the day. */
function bucketLabel(period: string, bucket: string): string {
  return bucket === 'month' ? formatMonth(period) : formatDay(period)
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
      <p className="hint">
        Collected disclosures run from {formatDay(collected.first!)} to {formatDay(collected.last!)}.
        {total === 0 && ' None of them falls in this period: choose other dates.'}
      </p>
      {total > 0 && (
        <>
          <section className="panel" aria-labelledby="trend-heading">
            <h2 id="trend-heading">Disclosures per {data.trendBucket}</h2>
            <TrendChart
              name="Disclosures"
              partialLabel={`part ${data.trendBucket}`}
              data={data.trend.map((t) => ({ label: bucketLabel(t.period, data.trendBucket), value: t.disclosures, partial: t.partial }))}
            />
            {data.trend.some((t) => t.partial) && (
              <p className="hint" data-testid="part-period-note">
                A dashed line leads to a part {data.trendBucket}: the period, the collected data or today ends inside it, so its count is
                not comparable with a whole {data.trendBucket}.
              </p>
            )}
            <details>
              <summary>Disclosures per {data.trendBucket} as a table</summary>
              <DataTable
                scroll={false}
                caption={<>Disclosures per {data.trendBucket} (starting)</>}
                rows={data.trend}
                rowKey={(t) => t.period}
                rowProps={(t) => ({ 'data-partial': t.partial ? 'true' : undefined })}
                columns={[
                  {
                    header:
                      data.trendBucket === 'day' ? 'Day' : `${data.trendBucket[0]!.toUpperCase()}${data.trendBucket.slice(1)} starting`,
                    rowHeader: true,
                    cell: (t) => (
                      <>
                        {formatDay(t.period)}
                        {t.partial && (
                          <>
                            {' '}
                            <span className="tag tag--muted">part {data.trendBucket}</span>
                          </>
                        )}
                      </>
                    ),
                  },
                  { header: 'Disclosures', numeric: true, cell: (t) => formatCount(t.disclosures) },
                ]}
              />
            </details>
          </section>
          <section className="panel" aria-labelledby="purpose-heading">
            <h2 id="purpose-heading">By purpose</h2>
            <HorizontalBarChart
              name="Disclosures"
              data={byPurpose.slice(0, CHART_ROWS).map((p) => ({ label: p.label, value: p.disclosures }))}
            />
            <TopNote shown={CHART_ROWS} of={byPurpose.length} noun="purposes" />
            <DataTable
              caption={<>Disclosures by purpose, {when}</>}
              rows={byPurpose}
              rowKey={(p) => p.purpose}
              rowProps={(p) => ({ className: p.prohibited ? 'row--prohibited' : undefined })}
              columns={[
                {
                  header: 'Purpose',
                  rowHeader: true,
                  cell: (p) => (
                    <>
                      {p.label}
                      {p.prohibited && <strong className="tag tag--red">Prohibited purpose</strong>}
                    </>
                  ),
                },
                { header: 'Disclosures', numeric: true, cell: (p) => formatCount(p.disclosures) },
              ]}
              footer={
                <tr>
                  <th scope="row">Total</th>
                  <td className="numeric">{formatCount(total)}</td>
                </tr>
              }
            />
          </section>
          <section className="panel" aria-labelledby="recipient-heading">
            <h2 id="recipient-heading">By recipient</h2>
            <HorizontalBarChart
              name="Disclosures"
              data={byRecipient.slice(0, CHART_ROWS).map((r) => ({ label: r.name, value: r.disclosures }))}
            />
            <TopNote shown={CHART_ROWS} of={byRecipient.length} noun="recipients" />
            <DataTable
              caption={<>Disclosures by recipient, {when}</>}
              rows={byRecipient}
              rowKey={(r) => r.recipientId}
              rowProps={(r) => ({ className: r.prohibitedDisclosures > 0 ? 'row--prohibited' : undefined })}
              columns={[
                {
                  header: 'Recipient',
                  rowHeader: true,
                  cell: (r) => (
                    <>
                      {r.name}
                      {r.prohibitedDisclosures > 0 && (
                        <strong className="tag tag--red">Prohibited purpose: {formatCount(r.prohibitedDisclosures)}</strong>
                      )}
                    </>
                  ),
                },
                { header: 'Recipient type', cell: (r) => r.recipientTypeLabel },
                { header: 'Disclosures', numeric: true, cell: (r) => formatCount(r.disclosures) },
              ]}
              footer={
                <tr>
                  <th scope="row" colSpan={2}>
                    Total
                  </th>
                  <td className="numeric">{formatCount(total)}</td>
                </tr>
              }
            />
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
        <DataTable
          caption="Last run of each source"
          rows={sources}
          rowKey={(s) => s.sourceId}
          columns={[
            { header: 'Source', rowHeader: true, cell: (s) => s.sourceName },
            { header: 'Practice', cell: (s) => s.practiceOds ?? 'National' },
            {
              header: 'Status',
              cell: (s) => (
                <>
                  <span className={s.status ? `status--${s.status}` : undefined}>
                    {s.status ? RUN_STATUS_LABELS[s.status] : 'Never run'}
                  </span>
                  {s.error && <div className="hint">{s.error}</div>}
                </>
              ),
            },
            { header: 'Finished', cell: (s) => (s.finishedAt ? formatDateTime(s.finishedAt) : '–') },
            { header: RUN_COUNT_LABELS.read, numeric: true, cell: (s) => formatCount(s.readCount) },
            { header: RUN_COUNT_LABELS.inserted, numeric: true, cell: (s) => formatCount(s.insertedCount) },
            { header: RUN_COUNT_LABELS.updated, numeric: true, cell: (s) => formatCount(s.updatedCount) },
            { header: RUN_COUNT_LABELS.duplicates, numeric: true, cell: (s) => formatCount(s.duplicateCount) },
            { header: RUN_COUNT_LABELS.quarantined, numeric: true, cell: (s) => formatCount(s.quarantinedCount) },
          ]}
        />
      )}
    </section>
  )
}
