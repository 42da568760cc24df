import { json, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Link, useLoaderData, useLocation } from '@remix-run/react'
import { FilterBar } from '../components/filter-bar.js'
import { Pager } from '../components/pager.js'
import { getDecisionRegisterPage } from '../lib/decision-register.server.js'
import { formatCount, formatDateTime } from '../../core/format.js'
import { DataTable } from '../components/data-table.js'
import { keptSearch } from '../lib/navigation.js'

export const meta: MetaFunction = () => [{ title: 'Decision register – Sharing Ledger' }]

export async function loader(args: LoaderFunctionArgs) {
  return json(await getDecisionRegisterPage(args), { headers: { 'Cache-Control': 'no-store' } })
}

export default function DecisionRegister() {
  const { period, filter, kinds, decisions } = useLoaderData<typeof loader>()
  const { search } = useLocation()
  const csvSearch = new URLSearchParams(search)
  csvSearch.delete('page')
  const csv = csvSearch.toString()
  return (
    <>
      <h1>Decision register</h1>
      <p>
        The Caldicott guardian&apos;s written record of decisions: every override review, countersignature or decline, accepted risk and
        finding resolved or reopened, with its reasons and who took it, newest first. The period is when the decision was taken.
      </p>
      <FilterBar from={period.from} to={period.to}>
        <div>
          <label htmlFor="filter-kind">Kind of decision</label>
          <select id="filter-kind" key={String(filter.kind ?? '')} name="kind" defaultValue={filter.kind ?? ''}>
            <option value="">Any kind</option>
            {kinds.map((k) => (
              <option key={k.value} value={k.value}>
                {k.label}
              </option>
            ))}
          </select>
        </div>
      </FilterBar>
      <section className="panel" aria-labelledby="decisions-heading">
        <h2 id="decisions-heading">
          {formatCount(decisions.total)} {decisions.total === 1 ? 'decision' : 'decisions'}
        </h2>
        {decisions.total === 0 ? (
          <p>No decision matches these filters. Widen the dates or clear the filters to see the whole register.</p>
        ) : (
          <>
            <p>
              <Link to={`/register.csv${csv ? `?${csv}` : ''}`} reloadDocument>
                Download {decisions.total === 1 ? 'this decision' : `these ${formatCount(decisions.total)} decisions`} as CSV
              </Link>
            </p>
            <DataTable
              className="register-table"
              caption="Decisions, newest first"
              rows={decisions.rows}
              rowKey={(d) => d.key}
              rowProps={(d) => ({ 'data-testid': `decision-${d.key}` })}
              columns={[
                { header: 'When', cell: (d) => formatDateTime(d.at) },
                { header: 'Practice', cell: (d) => d.practiceOds },
                { header: 'Kind of decision', cell: (d) => d.kindLabel },
                { header: 'About', cell: (d) => <Link to={`${d.href}${keptSearch(search)}`}>{d.about}</Link> },
                { header: 'Decision', cell: (d) => d.decision },
                { header: 'Reasons', cellClassName: 'break-anywhere', cell: (d) => d.reasons ?? '–' },
                {
                  header: 'Who',
                  cell: (d) => (
                    <>
                      {d.by} ({d.byRole})
                    </>
                  ),
                },
              ]}
            />
            <Pager total={decisions.total} page={decisions.page} pageSize={decisions.pageSize} label="Decision register pages" />
          </>
        )}
      </section>
    </>
  )
}
