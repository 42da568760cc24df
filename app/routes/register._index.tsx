import { json, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Link, useLoaderData, useLocation } from '@remix-run/react'
import { FilterBar } from '../components/filter-bar.js'
import { Pager } from '../components/pager.js'
import { getDecisionRegisterPage } from '../lib/decision-register.server.js'
import { formatCount, formatDateTime } from '../../core/format.js'
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
            <div className="table-scroll">
              <table className="register-table">
                <caption>Decisions, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">When</th>
                    <th scope="col">Practice</th>
                    <th scope="col">Kind of decision</th>
                    <th scope="col">About</th>
                    <th scope="col">Decision</th>
                    <th scope="col">Reasons</th>
                    <th scope="col">Who</th>
                  </tr>
                </thead>
                <tbody>
                  {decisions.rows.map((d) => (
                    <tr key={d.key} data-testid={`decision-${d.key}`}>
                      <td>{formatDateTime(d.at)}</td>
                      <td>{d.practiceOds}</td>
                      <td>{d.kindLabel}</td>
                      <td>
                        <Link to={`${d.href}${keptSearch(search)}`}>{d.about}</Link>
                      </td>
                      <td>{d.decision}</td>
                      <td className="break-anywhere">{d.reasons ?? '–'}</td>
                      <td>
                        {d.by} ({d.byRole})
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pager total={decisions.total} page={decisions.page} pageSize={decisions.pageSize} label="Decision register pages" />
          </>
        )}
      </section>
    </>
  )
}
