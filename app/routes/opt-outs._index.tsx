import { json, type LoaderFunctionArgs, type MetaFunction, type SerializeFrom } from '@remix-run/node'
import { Link, useLoaderData, useLocation, useSearchParams } from '@remix-run/react'
import { RateTrendChart } from '../components/charts/rate-trend-chart.js'
import { FilterBar } from '../components/filter-bar.js'
import { formatCount, formatDay, formatMonth } from '../../core/format.js'
import { DataTable } from '../components/data-table.js'
import { getOptOutsPage } from '../lib/opt-outs.server.js'

export const meta: MetaFunction = () => [{ title: 'Opt-outs – Sharing Ledger' }]

export async function loader(args: LoaderFunctionArgs) {
  return json(await getOptOutsPage(args))
}

type Data = SerializeFrom<typeof loader>

const formatRate = (rate: number | null) => (rate === null ? 'no rate' : `${rate.toFixed(2)}%`)

export default function OptOuts() {
  const data = useLoaderData<typeof loader>()
  const [params] = useSearchParams()
  const { search } = useLocation()
  const { period, latest } = data
  const nothing = latest.every((p) => p.ndopPublished === null && p.ndopRecorded.count === 0 && p.type1.count === 0)
  return (
    <>
      <h1>Opt-outs</h1>
      <p className="hint">
        The National Data Opt-out (NDOP) stops a patient’s data being used for research and planning; NHS England publishes each practice’s
        count. A Type 1 opt-out, recorded at the practice, stops identifiable data leaving the practice for purposes other than the
        patient’s care. Rates are opt-outs per 100 registered patients (list size).
      </p>
      <FilterBar from={params.get('from') ?? undefined} to={params.get('to') ?? undefined}>
        <div>
          <label htmlFor="filter-measure">Draw on the chart</label>
          <select id="filter-measure" name="measure" defaultValue={data.measure}>
            <option value="all">All three measures</option>
            {data.measureOptions.map((m) => (
              <option key={m.value} value={m.value}>
                {m.label}
              </option>
            ))}
          </select>
        </div>
      </FilterBar>
      <p data-testid="opt-out-period">
        Monthly figures from {formatMonth(period.from)} to {formatMonth(period.to)}; the latest are as of {formatDay(period.to)}.
      </p>
      {latest.length === 0 ? (
        <div className="panel">
          <h2>No practices</h2>
          <p>You do not have access to any practice yet. Ask an administrator to add you to your practice.</p>
        </div>
      ) : (
        <>
          {nothing && (
            <div className="panel" data-testid="opt-outs-empty">
              <h2>No opt-outs recorded yet</h2>
              <p>
                Import the NHS England publication with <code>npm run ledger -- import ndop NDOP_reg_geog_Mon_YYYY.csv</code>, or collect
                the practice system’s Consent records (<code>npm run ledger -- collect --all</code>); the figures appear here once there are
                any for this period.
              </p>
            </div>
          )}
          <LatestTable data={data} search={search} />
          <Trend data={data} />
        </>
      )}
    </>
  )
}

function LatestTable({ data, search }: { data: Data; search: string }) {
  return (
    <section className="panel" aria-labelledby="latest-heading">
      <h2 id="latest-heading">Latest figures per practice</h2>
      <p>
        <Link to={`/opt-outs.csv${search}`} reloadDocument>
          Download the monthly figures as CSV
        </Link>
      </p>
      {/* Drawn by hand, not with DataTable: a practice without a publication has one cell spanning three columns. */}
      <div className="table-scroll">
        <table className="optout-table">
          <caption>Opt-outs per practice as of {formatDay(data.period.to)}</caption>
          <colgroup span={2} />
          <colgroup span={3} />
          <colgroup span={2} />
          <colgroup span={2} />
          <thead>
            <tr>
              <th scope="col" rowSpan={2}>
                Practice
              </th>
              <th scope="col" rowSpan={2} className="numeric">
                List size
              </th>
              <th scope="colgroup" colSpan={3} className="group-start">
                NDOP, NHS England publication
              </th>
              <th scope="colgroup" colSpan={2} className="group-start">
                NDOP, practice system
              </th>
              <th scope="colgroup" colSpan={2} className="group-start">
                Type 1, practice system
              </th>
            </tr>
            <tr>
              <th scope="col" className="numeric group-start">
                Opt-outs
              </th>
              <th scope="col" className="numeric">
                Rate
              </th>
              <th scope="col">As of</th>
              <th scope="col" className="numeric group-start">
                Opt-outs
              </th>
              <th scope="col" className="numeric">
                Rate
              </th>
              <th scope="col" className="numeric group-start">
                Opt-outs
              </th>
              <th scope="col" className="numeric">
                Rate
              </th>
            </tr>
          </thead>
          <tbody>
            {data.latest.map((p) => (
              <tr key={p.odsCode} data-testid={`latest-${p.odsCode}`}>
                <th scope="row">
                  {p.name} ({p.odsCode})
                </th>
                <td className="numeric">
                  {p.listSize === null ? 'Not known' : formatCount(p.listSize)}
                  {p.listSizeAsOf && <div className="hint">{formatDay(p.listSizeAsOf)}</div>}
                </td>
                {p.ndopPublished ? (
                  <>
                    <td className="numeric group-start">{formatCount(p.ndopPublished.optOuts)}</td>
                    <td className="numeric">
                      {formatRate(p.ndopPublished.rate)}
                      {p.ndopPublished.rate === null && <div className="hint">list size 0</div>}
                    </td>
                    <td>{formatDay(p.ndopPublished.asOf)}</td>
                  </>
                ) : (
                  <td colSpan={3} className="group-start hint">
                    No publication yet
                  </td>
                )}
                <td className="numeric group-start">{formatCount(p.ndopRecorded.count)}</td>
                <td className="numeric">{formatRate(p.ndopRecorded.rate)}</td>
                <td className="numeric group-start">{formatCount(p.type1.count)}</td>
                <td className="numeric">{formatRate(p.type1.rate)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="hint">
        Practice-system rates use the practice’s latest known list size; “no rate” means the list size is not known or is 0. Published rates
        use the list size in the same publication.
      </p>
    </section>
  )
}

function Trend({ data }: { data: Data }) {
  const { chart, trend } = data
  return (
    <section className="panel" aria-labelledby="trend-heading">
      <h2 id="trend-heading">Opt-out rate per month</h2>
      <p className="hint">
        Solid lines: Type 1. Short dashes: NDOP recorded in the practice system. Long dashes: NDOP publication (drawn in the months a
        publication is dated, joined across the months between).
        {chart.practicesLeftOut > 0 &&
          ` The chart shows the ${chart.practicesDrawn} largest practices; the table lists all ${data.latest.length}. Choose one practice or one measure to draw others.`}
      </p>
      <RateTrendChart points={chart.points} series={chart.series} xKey="month" formatX={formatMonth} />
      <details>
        <summary>The monthly figures as a table</summary>
        <DataTable
          className="optout-table"
          caption="Opt-outs per practice at the end of each month"
          rows={trend}
          rowKey={(t) => `${t.odsCode}-${t.month}`}
          columns={[
            { header: 'Practice', rowHeader: true, cell: (t) => t.odsCode },
            {
              header: 'Month',
              cell: (t) => (
                <>
                  {formatMonth(t.month)}
                  {t.asOf.slice(0, 7) === t.month.slice(0, 7) && t.asOf !== lastDayOf(t.month) && (
                    <span className="hint"> (to {formatDay(t.asOf)})</span>
                  )}
                </>
              ),
            },
            {
              header: 'NDOP published rate',
              numeric: true,
              cell: (t) => (t.ndopPublished ? `${formatRate(t.ndopPublished.rate)} (${formatDay(t.ndopPublished.asOf)})` : '–'),
            },
            { header: 'NDOP in practice system', numeric: true, cell: (t) => formatCount(t.ndopRecorded.count) },
            { header: 'NDOP practice-system rate', numeric: true, cell: (t) => formatRate(t.ndopRecorded.rate) },
            { header: 'Type 1 in practice system', numeric: true, cell: (t) => formatCount(t.type1.count) },
            { header: 'Type 1 rate', numeric: true, cell: (t) => formatRate(t.type1.rate) },
          ]}
        />
      </details>
    </section>
  )
}

function lastDayOf(firstOfMonth: string): string {
  const d = new Date(`${firstOfMonth.slice(0, 7)}-01T00:00:00Z`)
  d.setUTCMonth(d.getUTCMonth() + 1)
  d.setUTCDate(0)
  return d.toISOString().slice(0, 10)
}
