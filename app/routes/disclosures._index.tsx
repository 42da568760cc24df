import { json, type LoaderFunctionArgs, type MetaFunction, type SerializeFrom } from '@remix-run/node'
import { Link, useLoaderData, useLocation } from '@remix-run/react'
import { LinkedBarChart } from '../components/charts/linked-bar-chart.js'
import { ActiveDisclosureFilters, DisclosureFilterFields, disclosuresHref, useListHref } from '../components/disclosure-filters.js'
import { FilterBar } from '../components/filter-bar.js'
import { useLinkNavigation } from '../components/link-navigation.js'
import { getDisclosureSummary } from '../lib/disclosures.server.js'
import { formatCount, formatDay } from '../../core/format.js'
import { DataTable, type Column } from '../components/data-table.js'

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
            Collected disclosures run from {formatDay(data.collected.first)} to {formatDay(data.collected.last!)}, but none of them matches
            this period and these filters. Choose other dates, remove a filter above, or{' '}
            <Link to={disclosuresHref('/disclosures', search, {}, ['practice'])}>clear every filter</Link>.
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
                  <>
                    A CSV download holds at most {formatCount(data.csvLimit)} disclosures: choose a shorter period or more filters to
                    download them.
                  </>
                ) : (
                  <Link to={disclosuresHref('/disclosures.csv', search)} reloadDocument>
                    Download these disclosures as CSV
                  </Link>
                )}
              </li>
              <li>
                <Link to={disclosuresHref('/disclosures.ndjson', search)} reloadDocument data-testid="balp-download">
                  Download these disclosures as FHIR AuditEvents (IHE BALP, NDJSON)
                </Link>
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
        data={data.byPurpose
          .slice(0, CHART_ROWS)
          .map((p) => ({ label: p.label, value: p.disclosures, href: listHref({ purpose: p.purpose }) }))}
      />
      {data.byPurpose.length > CHART_ROWS && (
        <p className="hint" data-testid="purpose-chart-top">
          The chart shows {CHART_ROWS} of {formatCount(data.byPurpose.length)} purposes (prohibited ones first, then the most used); the
          table lists them all.
        </p>
      )}
      <DataTable
        caption={<>Disclosures by purpose, {when}</>}
        rows={data.byPurpose}
        rowKey={(p) => p.purpose}
        rowProps={(p) => ({ className: p.prohibited ? 'row--prohibited' : undefined })}
        columns={[
          {
            header: 'Purpose',
            rowHeader: true,
            cell: (p) => (
              <>
                <a href={listHref({ purpose: p.purpose })}>{p.label}</a>
                {p.prohibited && <strong className="tag tag--red">Prohibited purpose</strong>}
              </>
            ),
          },
          { header: 'Disclosures', numeric: true, cell: (p) => formatCount(p.disclosures) },
        ]}
        footer={
          <tr>
            <th scope="row">Total</th>
            <td className="numeric">{formatCount(data.total)}</td>
          </tr>
        }
      />
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
        data={data.byRecipient
          .slice(0, CHART_ROWS)
          .map((r) => ({ label: r.name, value: r.disclosures, href: listHref({ recipient: r.recipientId }) }))}
      />
      {data.byRecipient.length > CHART_ROWS && (
        <p className="hint">
          The chart shows {CHART_ROWS} of {formatCount(data.byRecipient.length)} recipients (those sent a prohibited purpose first, then the
          most used); the table lists them all.
        </p>
      )}
      <DataTable
        caption={<>Disclosures by recipient, {when}</>}
        rows={data.byRecipient}
        rowKey={(r) => r.recipientId}
        rowProps={(r) => ({ className: r.prohibitedDisclosures > 0 ? 'row--prohibited' : undefined })}
        columns={[
          {
            header: 'Recipient',
            rowHeader: true,
            cell: (r) => (
              <>
                <a href={listHref({ recipient: r.recipientId })}>{r.name}</a>
                {r.odsCode && <span className="hint"> ({r.odsCode})</span>}
                {r.prohibitedDisclosures > 0 && (
                  <strong className="tag tag--red">Prohibited purpose: {formatCount(r.prohibitedDisclosures)}</strong>
                )}
              </>
            ),
          },
          { header: 'Recipient type', cell: (r) => <a href={listHref({ recipientType: r.recipientType })}>{r.recipientTypeLabel}</a> },
          { header: 'Disclosures', numeric: true, cell: (r) => formatCount(r.disclosures) },
        ]}
        footer={
          <tr>
            <th scope="row" colSpan={2}>
              Total
            </th>
            <td className="numeric">{formatCount(data.total)}</td>
          </tr>
        }
      />
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
      <DataTable
        className="disclosures-matrix"
        caption={<>Disclosures by purpose (rows) and recipient type (columns), {when}</>}
        rows={rows}
        rowKey={(row) => row.purpose}
        rowProps={(row) => ({ className: row.prohibited ? 'row--prohibited' : undefined })}
        columns={[
          {
            header: 'Purpose',
            rowHeader: true,
            cell: (row) => (
              <>
                {row.label}
                {row.prohibited && <strong className="tag tag--red">Prohibited purpose</strong>}
              </>
            ),
          },
          ...columns.map((column, i): Column<(typeof rows)[number]> => ({
            header: column.label,
            numeric: true,
            cell: (row) => {
              const n = row.counts[i]!
              return n === 0 ? (
                <span className="hint">0</span>
              ) : (
                <a
                  href={listHref({ purpose: row.purpose, recipientType: column.code })}
                  aria-label={`${formatCount(n)}: ${row.label}, to ${column.label}`}
                >
                  {formatCount(n)}
                </a>
              )
            },
          })),
          { header: 'Total', numeric: true, cell: (row) => formatCount(row.total) },
        ]}
        footer={
          <tr>
            <th scope="row">Total</th>
            {columns.map((c) => (
              <td key={c.code} className="numeric">
                {formatCount(c.total)}
              </td>
            ))}
            <td className="numeric">{formatCount(data.total)}</td>
          </tr>
        }
      />
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
        <DataTable
          caption={<>Disclosures by legal basis, {when}</>}
          rows={data.byLegalBasis}
          rowKey={(b) => b.legalBasis}
          columns={[
            { header: 'Legal basis', rowHeader: true, cell: (b) => <a href={listHref({ legalBasis: b.legalBasis })}>{b.label}</a> },
            { header: 'Disclosures', numeric: true, cell: (b) => formatCount(b.disclosures) },
            { header: 'Share', numeric: true, cell: (b) => percent(b.disclosures, data.total) },
          ]}
        />
        <DataTable
          caption={<>Disclosures by data level, {when}</>}
          rows={data.byDataLevel}
          rowKey={(d) => d.dataLevel}
          columns={[
            { header: 'Data level', rowHeader: true, cell: (d) => <a href={listHref({ dataLevel: d.dataLevel })}>{d.label}</a> },
            { header: 'Disclosures', numeric: true, cell: (d) => formatCount(d.disclosures) },
            { header: 'Share', numeric: true, cell: (d) => percent(d.disclosures, data.total) },
          ]}
        />
      </div>
    </section>
  )
}

function percent(n: number, total: number): string {
  return total === 0 ? '–' : `${((100 * n) / total).toFixed(1)}%`
}
