import { json, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Link, useLoaderData, useLocation } from '@remix-run/react'
import { FindingFilters } from '../components/finding-filters.js'
import { getCasesPage } from '../lib/finding-cases.server.js'
import { formatCount, formatInstantDay as day } from '../../core/format.js'
import { DataTable } from '../components/data-table.js'
import { Pager } from '../components/pager.js'
import { FINDING_STATUS_LABELS } from '../../core/labels.js'

export const meta: MetaFunction = () => [{ title: 'Findings – Sharing Ledger' }]

export async function loader(args: LoaderFunctionArgs) {
  return json(await getCasesPage(args), { headers: { 'Cache-Control': 'no-store' } })
}

export default function FindingCases() {
  const { period, filter, rules, cases, total, pageSize, isAdmin } = useLoaderData<typeof loader>()
  const { search } = useLocation()
  const status = FINDING_STATUS_LABELS[filter.status].toLowerCase()
  return (
    <>
      <h1>Compliance findings</h1>
      <p>
        Findings are grouped into cases: one rule, one practice and the thing to fix (a recipient and purpose without an agreement, an
        agreement, a source, a patient). A decision on a case is recorded in the history of each of its findings.{' '}
        <Link to={`/findings/list${search}`}>See the individual findings</Link>.
      </p>
      <FindingFilters period={period} filter={filter} rules={rules} anyStatus={false} />
      {cases.length === 0 ? (
        <div className="panel">
          <h2>No {status} cases</h2>
          <p>
            No {status} compliance finding is recorded for these practices and filters. Findings appear here when the compliance rules
            (opt-outs, prohibited purposes, agreements, overrides, silent sources) find something in the collected records.
          </p>
        </div>
      ) : (
        <section className="panel" aria-labelledby="cases-heading">
          <h2 id="cases-heading">
            {formatCount(total)} {status} {total === 1 ? 'case' : 'cases'}
          </h2>
          <p>
            <Link to={`/findings.csv${search}`} reloadDocument>
              Download these cases as CSV
            </Link>{' '}
            (and{' '}
            <Link to={`/findings/list.csv${search}`} reloadDocument>
              the individual findings
            </Link>
            )
          </p>
          <DataTable
            caption="Cases, most severe first, then those with most findings"
            rows={cases}
            rowKey={(c) => `${c.ruleId}|${c.practiceId}|${c.caseKey}`}
            rowProps={(c) => ({
              className: c.severity === 'high' && c.status === 'open' ? 'row--prohibited' : undefined,
              'data-testid': `case-${c.ruleId}-${c.caseKey}`,
            })}
            columns={[
              {
                header: 'Severity',
                cell: (c) => (c.severity === 'high' && c.status === 'open' ? <strong className="tag tag--red">high</strong> : c.severity),
              },
              { header: 'Rule', cell: (c) => c.ruleTitle },
              { header: 'Practice', cell: (c) => c.practiceOds },
              { header: 'About', rowHeader: true, cell: (c) => <Link to={c.href}>{c.subject}</Link> },
              { header: 'Findings', numeric: true, cell: (c) => formatCount(c.findings) },
              { header: 'From', cell: (c) => day(c.firstAt) },
              { header: 'To', cell: (c) => day(c.lastAt) },
              {
                header: 'To resolve',
                cell: (c) => (
                  <>
                    {c.action.text}
                    {c.status === 'open' && c.action.href && (c.action.role !== 'admin' || isAdmin) && (
                      <div>
                        <Link to={c.action.href}>{c.action.linkText}</Link>
                      </div>
                    )}
                  </>
                ),
              },
            ]}
          />
          <Pager total={total} page={filter.page} pageSize={pageSize} label="Pages of cases" />
        </section>
      )}
    </>
  )
}
