import { json, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Link, useLoaderData, useLocation } from '@remix-run/react'
import {
  ActiveDisclosureFilters,
  DISCLOSURE_FILTER_PARAMS,
  DisclosureFilterFields,
  disclosuresHref,
} from '../components/disclosure-filters.js'
import { FilterBar } from '../components/filter-bar.js'
import { getDisclosureList } from '../lib/disclosures.server.js'
import { formatCount, formatDateTime } from '../../core/format.js'
import { DataTable } from '../components/data-table.js'

export const meta: MetaFunction = () => [{ title: 'Individual disclosures – Sharing Ledger' }]

export async function loader(args: LoaderFunctionArgs) {
  return json(await getDisclosureList(args), { headers: { 'Cache-Control': 'no-store' } })
}

/** Filters plus the chosen order: what a page link or a "remove filter" link keeps. */
const LIST_PARAMS = [...DISCLOSURE_FILTER_PARAMS, 'sort', 'dir'] as const
/** A detail link carries the whole list address, so its "back" link returns to this page. */
const DETAIL_PARAMS = [...LIST_PARAMS, 'page'] as const

type SortKey = 'occurred_at' | 'purpose' | 'recipient'

export default function DisclosureList() {
  const data = useLoaderData<typeof loader>()
  const { search } = useLocation()
  const first = data.total === 0 ? 0 : (data.page - 1) * data.pageSize + 1
  const last = Math.min(data.total, data.page * data.pageSize)
  return (
    <>
      <p>
        <Link to={disclosuresHref('/disclosures', search)}>Back to the disclosures summary</Link>
      </p>
      <h1>Individual disclosures</h1>
      <FilterBar from={data.period.from} to={data.period.to}>
        <DisclosureFilterFields vocabulary={data.vocabulary} form={data.form} />
        {/* Applying filters keeps the chosen order and starts again at page 1. */}
        <input type="hidden" name="sort" value={data.sort} />
        <input type="hidden" name="dir" value={data.dir} />
      </FilterBar>
      <ActiveDisclosureFilters active={data.active} keep={LIST_PARAMS} />
      <section className="panel" aria-labelledby="list-heading">
        <h2 id="list-heading" data-testid="list-summary">
          {data.total === 0
            ? 'No disclosures match'
            : first > data.total
              ? `Page ${data.page} is past the end of ${formatCount(data.total)} disclosures`
              : `Showing ${formatCount(first)}–${formatCount(last)} of ${formatCount(data.total)} ${data.total === 1 ? 'disclosure' : 'disclosures'}`}
        </h2>
        {data.total === 0 ? (
          <p>
            No disclosure matches this period and these filters. Choose other dates, remove a filter above, or go back to the{' '}
            <Link to={disclosuresHref('/disclosures', search)}>summary</Link> to see what there is.
          </p>
        ) : first > data.total ? (
          <p>
            <Link to={disclosuresHref('/disclosures/list', search, {}, LIST_PARAMS)}>Go to the first page</Link>
          </p>
        ) : (
          <>
            <p>
              {data.total > data.csvLimit ? (
                <>
                  A CSV download holds at most {formatCount(data.csvLimit)} disclosures: choose a shorter period or more filters to download
                  these.
                </>
              ) : (
                <Link to={disclosuresHref('/disclosures.csv', search, {}, LIST_PARAMS)} reloadDocument>
                  Download {data.total === 1 ? 'this disclosure' : `all ${formatCount(data.total)} disclosures`} as CSV
                </Link>
              )}
            </p>
            <DataTable
              className="disclosures-table"
              caption={
                <>
                  Disclosures, {describeSort(data.sort, data.dir)}
                  {data.pages > 1 && `, page ${data.page} of ${formatCount(data.pages)}`}
                </>
              }
              rows={data.rows}
              rowKey={(r) => r.id}
              rowProps={(r) => ({ 'data-testid': `disclosure-${r.id}` })}
              columns={[
                {
                  header: <SortLink label="Date and time (UK)" sortKey="occurred_at" current={data.sort} dir={data.dir} />,
                  headerProps: { 'aria-sort': ariaSort('occurred_at', data.sort, data.dir) },
                  cellClassName: 'disclosures-nowrap',
                  cell: (r) => formatDateTime(r.occurredAt),
                },
                { header: 'Practice', cell: (r) => r.practiceOds },
                { header: 'Patient (pseudonym)', cell: (r) => <code>{r.patientPseudonym}</code> },
                {
                  header: <SortLink label="Recipient" sortKey="recipient" current={data.sort} dir={data.dir} />,
                  headerProps: { 'aria-sort': ariaSort('recipient', data.sort, data.dir) },
                  cell: (r) => (
                    <>
                      {r.recipientName}
                      <div className="hint">{r.recipientTypeLabel}</div>
                    </>
                  ),
                },
                {
                  header: <SortLink label="Purpose" sortKey="purpose" current={data.sort} dir={data.dir} />,
                  headerProps: { 'aria-sort': ariaSort('purpose', data.sort, data.dir) },
                  cell: (r) => r.purposeLabel,
                },
                { header: 'Legal basis', cell: (r) => r.legalBasisLabel ?? <span className="hint">None recorded</span> },
                { header: 'Data level', cell: (r) => r.dataLevelLabel },
                {
                  header: <span className="disclosures-sr">Details</span>,
                  cell: (r) => (
                    <Link
                      to={disclosuresHref(`/disclosures/${r.id}`, search, {}, DETAIL_PARAMS)}
                      aria-label={`Details of disclosure ${r.id}`}
                    >
                      Details
                    </Link>
                  ),
                },
              ]}
            />
          </>
        )}
        <PageLinks page={data.page} pages={data.pages} />
      </section>
    </>
  )
}

const SORT_NAMES: Record<SortKey, string> = { occurred_at: 'date', purpose: 'purpose', recipient: 'recipient' }

function describeSort(sort: SortKey, dir: 'asc' | 'desc'): string {
  if (sort === 'occurred_at') return dir === 'desc' ? 'newest first' : 'oldest first'
  return `by ${SORT_NAMES[sort]}, ${dir === 'asc' ? 'A to Z' : 'Z to A'}`
}

/** A column heading that sorts by itself; selecting the current one reverses the order. */
/** aria-sort of a sortable column's header: only the column the list is sorted by has one. */
function ariaSort(sortKey: SortKey, current: SortKey, dir: 'asc' | 'desc') {
  return current === sortKey ? (dir === 'asc' ? 'ascending' : 'descending') : undefined
}

function SortLink({ label, sortKey, current, dir }: { label: string; sortKey: SortKey; current: SortKey; dir: 'asc' | 'desc' }) {
  const { search } = useLocation()
  const active = current === sortKey
  const nextDir = active ? (dir === 'asc' ? 'desc' : 'asc') : sortKey === 'occurred_at' ? 'desc' : 'asc'
  const href = disclosuresHref('/disclosures/list', search, { sort: sortKey, dir: nextDir }, LIST_PARAMS)
  return (
    <Link to={href} className="disclosures-sort">
      {label}
      <span aria-hidden="true">{active ? (dir === 'asc' ? ' ▲' : ' ▼') : ''}</span>
      <span className="disclosures-sr">
        {active ? `, sorted ${describeSort(sortKey, dir)}; select to reverse` : `, select to sort by ${SORT_NAMES[sortKey]}`}
      </span>
    </Link>
  )
}

/** Previous, numbered pages around the current one (first and last always), next. */
function PageLinks({ page, pages }: { page: number; pages: number }) {
  const { search } = useLocation()
  if (pages <= 1 && page <= 1) return null
  const href = (n: number) => disclosuresHref('/disclosures/list', search, { page: n <= 1 ? null : n }, LIST_PARAMS)
  const shown = [...new Set([1, page - 2, page - 1, page, page + 1, page + 2, pages])]
    .filter((n) => n >= 1 && n <= pages)
    .sort((a, b) => a - b)
  return (
    <nav className="disclosures-pages" aria-label="Pages of disclosures">
      <ul>
        {page > 1 && (
          <li>
            <Link to={href(Math.min(page - 1, pages))} rel="prev">
              Previous<span className="disclosures-sr"> page</span>
            </Link>
          </li>
        )}
        {shown.map((n, i) => (
          <li key={n}>
            {i > 0 && n - shown[i - 1]! > 1 && (
              <span className="hint" aria-hidden="true">
                …{' '}
              </span>
            )}
            {n === page ? (
              <Link to={href(n)} aria-current="page" aria-label={`Page ${n}, current page`}>
                {n}
              </Link>
            ) : (
              <Link to={href(n)} aria-label={`Page ${n}`}>
                {n}
              </Link>
            )}
          </li>
        ))}
        {page < pages && (
          <li>
            <Link to={href(page + 1)} rel="next">
              Next<span className="disclosures-sr"> page</span>
            </Link>
          </li>
        )}
      </ul>
    </nav>
  )
}
