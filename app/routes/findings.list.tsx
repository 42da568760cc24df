import { json, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Link, useLoaderData, useLocation } from '@remix-run/react'
import { FindingFilters } from '../components/finding-filters.js'
import { getFindingsPage } from '../lib/findings.server.js'
import { formatDateTime } from '../../core/format.js'
import { DataTable } from '../components/data-table.js'

export const meta: MetaFunction = () => [{ title: 'Individual findings – Sharing Ledger' }]

export async function loader(args: LoaderFunctionArgs) {
  return json(await getFindingsPage(args))
}

export default function FindingsList() {
  const { period, filter, rules, findings } = useLoaderData<typeof loader>()
  const { search } = useLocation()
  return (
    <>
      <p>
        <Link to={`/findings${search}`}>Back to the findings by case</Link>
      </p>
      <h1>Individual findings</h1>
      <FindingFilters period={period} filter={filter} rules={rules} anyStatus={true} />
      {findings.length === 0 ? (
        <div className="panel">
          <h2>No findings</h2>
          <p>
            No compliance finding is recorded for these practices and filters. Findings appear here when the compliance rules (opt-outs,
            prohibited purposes, agreements, overrides, silent sources) find something in the collected records.
          </p>
        </div>
      ) : (
        <section className="panel" aria-labelledby="findings-heading">
          <h2 id="findings-heading">{findings.length} findings</h2>
          <p>
            <Link to={`/findings/list.csv${search}`} reloadDocument>
              Download these findings as CSV
            </Link>
          </p>
          <DataTable
            caption="Findings, most severe first among the open ones, then the closed ones"
            rows={findings}
            rowKey={(f) => f.id}
            rowProps={(f) => ({ className: f.severity === 'high' && f.status === 'open' ? 'row--prohibited' : undefined })}
            columns={[
              {
                header: 'Severity',
                cell: (f) => (f.severity === 'high' && f.status === 'open' ? <strong className="tag tag--red">high</strong> : f.severity),
              },
              { header: 'Rule', cell: (f) => f.ruleTitle },
              { header: 'Practice', cell: (f) => f.practiceOds },
              { header: 'What was found', cell: (f) => <Link to={`/findings/${f.id}${search}`}>{f.summary}</Link> },
              { header: 'Status', cell: (f) => f.status },
              { header: 'Opened', cell: (f) => formatDateTime(f.openedAt) },
            ]}
          />
        </section>
      )}
    </>
  )
}
