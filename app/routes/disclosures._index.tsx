import { json, type LoaderFunctionArgs, type MetaFunction, type SerializeFrom } from '@remix-run/node'
import { Link, useLoaderData, useLocation } from '@remix-run/react'
import { LinkedBarChart } from '../components/charts/linked-bar-chart.js'
import { ActiveDisclosureFilters, DisclosureFilterFields, disclosuresHref, useListHref } from '../components/disclosure-filters.js'
import { FilterBar } from '../components/filter-bar.js'
import { useLinkNavigation } from '../components/link-navigation.js'
import { getDisclosureSummary } from '../lib/disclosures.server.js'
import { formatCount, formatDay } from '../../core/format.js'

export const meta: MetaFunction = () => [{ title: 'Disclosures – Sharing Ledger' }]

export async function loader(args: LoaderFunctionArgs) {
  return json(await getDisclosureSummary(args))
}

type SummaryData = SerializeFrom<typeof loader>

/** How many bars a chart shows; the table beside it lists every row. */
const CHART_ROWS = 12

export default function DisclosureSummary() {
  const data = useLoaderData<typeof loader>()
  const { search } = useLocation()
  const listHref = useListHref()
  const when = describePeriod(data.period)
  return (
    <>
      <h1>Disclosures</h1>
      <FilterBar from={data.period.from} to={data.period.to}>
        <DisclosureFilterFields vocabulary={data.vocabulary} form={data.form} />
      </FilterBar>
      <ActiveDisclosureFilters active={data.active} />
      {data.collected.first === null ? (
        <div className="panel">
          <h2>No disclosures collected yet</h2>
          <p>
            Nothing has been collected for these practices. Add a source with <code>npm run ledger -- source add ...</code> and run{' '}
            <code>npm run ledger -- collect --all</code>; the figures appear here after the first collection.
          </p>
        </div>
      ) : data.total === 0 ? (
        <div className="panel">
          <h2>No disclosures match</h2>
          <p>
            Collected disclosures run from {formatDay(data.collected.first)} to {formatDay(data.collected.last!)}, but none of them matches this period
            and these filters. Choose other dates, remove a filter above, or <Link to={disclosuresHref('/disclosures', search, {}, ['practice'])}>clear every filter</Link>.
          </p>
        </div>
      ) : (
        <>
          <section className="panel" aria-labelledby="disclosures-total-heading">
            <h2 id="disclosures-total-heading">
              {formatCount(data.total)} {data.total === 1 ? 'disclosure' : 'disclosures'}, {when}
            </h2>
            <ul className="disclosures-actions">
              <li>
                <Link to={listHref({})} data-testid="to-list">
                  See the individual disclosures
                </Link>
              </li>
              <li>
                {data.total > data.csvLimit ? (
                  <>A CSV download holds at most {formatCount(data.csvLimit)} disclosures: choose a shorter period or more filters to download them.</>
                ) : (
                  <Link to={disclosuresHref('/disclosures.csv', search)} reloadDocument>
                    Download these disclosures as CSV
                  </Link>
                )}
              </li>
              <li>
                <Link to={disclosuresHref('/disclosures/summary.csv', search)} reloadDocument>
                  Download the counts as CSV (purpose, recipient, legal basis, data level)
                </Link>
              </li>
            </ul>
            <p className="hint">Select a bar, a name or a number to see the disclosures behind it.</p>
          </section>
          <ByPurpose data={data} when={when} />
          <ByRecipient data={data} when={when} />
          <Matrix data={data} when={when} />
          <ByLegalBasis data={data} when={when} />
        </>
      )}
    </>
  )
}

function describePeriod({ from, to }: { from?: string; to?: string }): string {
  if (from && to) return `from ${formatDay(from)} to ${formatDay(to)}`
  if (from) return `since ${formatDay(from)}`
  if (to) return `up to ${formatDay(to)}`
  return 'on all dates'
}

function ByPurpose({ data, when }: { data: SummaryData; when: string }) {
  const listHref = useListHref()
  const followLink = useLinkNavigation()
  return (
    <section className="panel" onClick={followLink} aria-labelledby="by-purpose-heading">
      <h2 id="by-purpose-heading">By purpose</h2>
      <LinkedBarChart
        name="Disclosures"
        data={data.byPurpose.slice(0, CHART_ROWS).map((p) => ({ label: p.label, value: p.disclosures, href: listHref({ purpose: p.purpose }) }))}
      />
      {data.byPurpose.length > CHART_ROWS && (
        <p className="hint" data-testid="purpose-chart-top">
          The chart shows {CHART_ROWS} of {formatCount(data.byPurpose.length)} purposes (prohibited ones first, then the most used); the table lists them all.
        </p>
      )}
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
            {data.byPurpose.map((p) => (
              <tr key={p.purpose} className={p.prohibited ? 'row--prohibited' : undefined}>
                <th scope="row">
                  <a href={listHref({ purpose: p.purpose })}>{p.label}</a>
                  {p.prohibited && <strong className="tag tag--red">Prohibited purpose</strong>}
                </th>
                <td className="numeric">{formatCount(p.disclosures)}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row">Total</th>
              <td className="numeric">{formatCount(data.total)}</td>
            </tr>
          </tfoot>
        </table>
      </div>
    </section>
  )
}

function ByRecipient({ data, when }: { data: SummaryData; when: string }) {
  const listHref = useListHref()
  const followLink = useLinkNavigation()
  return (
    <section className="panel" onClick={followLink} aria-labelledby="by-recipient-heading">
      <h2 id="by-recipient-heading">By recipient</h2>
      <LinkedBarChart
        name="Disclosures"
        data={data.byRecipient.slice(0, CHART_ROWS).map((r) => ({ label: r.name, value: r.disclosures, href: listHref({ recipient: r.recipientId }) }))}
      />
      {data.byRecipient.length > CHART_ROWS && (
        <p className="hint">
          The chart shows {CHART_ROWS} of {formatCount(data.byRecipient.length)} recipients (those sent a prohibited purpose first, then the most used); the table lists them all.
        </p>
      )}
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
            {data.byRecipient.map((r) => (
              <tr key={r.recipientId} className={r.prohibitedDisclosures > 0 ? 'row--prohibited' : undefined}>
                <th scope="row">
                  <a href={listHref({ recipient: r.recipientId })}>{r.name}</a>
                  {r.odsCode && <span className="hint"> ({r.odsCode})</span>}
                  {r.prohibitedDisclosures > 0 && <strong className="tag tag--red">Prohibited purpose: {formatCount(r.prohibitedDisclosures)}</strong>}
                </th>
                <td>
                  <a href={listHref({ recipientType: r.recipientType })}>{r.recipientTypeLabel}</a>
                </td>
                <td className="numeric">{formatCount(r.disclosures)}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row" colSpan={2}>
                Total
              </th>
              <td className="numeric">{formatCount(data.total)}</td>
            </tr>
          </tfoot>
        </table>
      </div>
    </section>
  )
}

function Matrix({ data, when }: { data: SummaryData; when: string }) {
  const listHref = useListHref()
  const followLink = useLinkNavigation()
  const { columns, rows } = data.matrix
  return (
    <section className="panel" onClick={followLink} aria-labelledby="matrix-heading">
      <h2 id="matrix-heading">Purpose by recipient type</h2>
      {rows.some((r) => r.prohibited) && (
        <p className="hint">Prohibited purposes come first, and the recipient types that received them are the first columns.</p>
      )}
      <div className="table-scroll">
        <table className="disclosures-matrix">
          <caption>Disclosures by purpose (rows) and recipient type (columns), {when}</caption>
          <thead>
            <tr>
              <th scope="col">Purpose</th>
              {columns.map((c) => (
                <th key={c.code} scope="col" className="numeric">
                  {c.label}
                </th>
              ))}
              <th scope="col" className="numeric">
                Total
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.purpose} className={row.prohibited ? 'row--prohibited' : undefined}>
                <th scope="row">
                  {row.label}
                  {row.prohibited && <strong className="tag tag--red">Prohibited purpose</strong>}
                </th>
                {row.counts.map((n, i) => {
                  const column = columns[i]!
                  return (
                    <td key={column.code} className="numeric">
                      {n === 0 ? (
                        <span className="hint">0</span>
                      ) : (
                        <a href={listHref({ purpose: row.purpose, recipientType: column.code })} aria-label={`${formatCount(n)}: ${row.label}, to ${column.label}`}>
                          {formatCount(n)}
                        </a>
                      )}
                    </td>
                  )
                })}
                <td className="numeric">{formatCount(row.total)}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row">Total</th>
              {columns.map((c) => (
                <td key={c.code} className="numeric">
                  {formatCount(c.total)}
                </td>
              ))}
              <td className="numeric">{formatCount(data.total)}</td>
            </tr>
          </tfoot>
        </table>
      </div>
    </section>
  )
}

function ByLegalBasis({ data, when }: { data: SummaryData; when: string }) {
  const listHref = useListHref()
  const followLink = useLinkNavigation()
  return (
    <section className="panel" onClick={followLink} aria-labelledby="by-basis-heading">
      <h2 id="by-basis-heading">By legal basis and data level</h2>
      <div className="disclosures-split">
        <div className="table-scroll">
          <table>
            <caption>Disclosures by legal basis, {when}</caption>
            <thead>
              <tr>
                <th scope="col">Legal basis</th>
                <th scope="col" className="numeric">
                  Disclosures
                </th>
                <th scope="col" className="numeric">
                  Share
                </th>
              </tr>
            </thead>
            <tbody>
              {data.byLegalBasis.map((b) => (
                <tr key={b.legalBasis}>
                  <th scope="row">
                    <a href={listHref({ legalBasis: b.legalBasis })}>{b.label}</a>
                  </th>
                  <td className="numeric">{formatCount(b.disclosures)}</td>
                  <td className="numeric">{percent(b.disclosures, data.total)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div className="table-scroll">
          <table>
            <caption>Disclosures by data level, {when}</caption>
            <thead>
              <tr>
                <th scope="col">Data level</th>
                <th scope="col" className="numeric">
                  Disclosures
                </th>
                <th scope="col" className="numeric">
                  Share
                </th>
              </tr>
            </thead>
            <tbody>
              {data.byDataLevel.map((d) => (
                <tr key={d.dataLevel}>
                  <th scope="row">
                    <a href={listHref({ dataLevel: d.dataLevel })}>{d.label}</a>
                  </th>
                  <td className="numeric">{formatCount(d.disclosures)}</td>
                  <td className="numeric">{percent(d.disclosures, data.total)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
    </section>
  )
}

function percent(n: number, total: number): string {
  return total === 0 ? '–' : `${((100 * n) / total).toFixed(1)}%`
}
