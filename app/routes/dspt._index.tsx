import { json, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Link, useLoaderData } from '@remix-run/react'
import { formatDateTime } from '../../core/format.js'
import { DataTable } from '../components/data-table.js'
import { getDsptPage } from '../lib/dspt.server.js'
import { useKeptSearch } from '../lib/navigation.js'

export const meta: MetaFunction = () => [{ title: 'DSPT evidence index – Sharing Ledger' }]

export async function loader(args: LoaderFunctionArgs) {
  return json(await getDsptPage(args), { headers: { 'Cache-Control': 'no-store' } })
}

export default function DsptIndex() {
  const { practices, items } = useLoaderData<typeof loader>()
  const kept = useKeptSearch()
  return (
    <>
      <h1>DSPT evidence index</h1>
      <p>
        What Sharing Ledger holds that supports the Data Security and Protection Toolkit, and the page or report that shows it, for{' '}
        {practices.join(', ')}. The toolkit renumbers its evidence items most years, so each entry names the National Data Guardian standard
        and the topic: write this year&apos;s item number beside it. The annual Caldicott report prints this index too.
      </p>
      <DataTable
        caption="Toolkit topics and their evidence"
        rows={items}
        rowKey={(i) => i.id}
        columns={[
          {
            header: 'Topic',
            rowHeader: true,
            cell: (i) => (
              <>
                {i.topic}
                <br />
                <span className="hint">{i.standard}</span>
              </>
            ),
          },
          { header: 'What Sharing Ledger holds', cell: (i) => i.holds },
          {
            header: 'Evidence',
            cell: (i) => (
              <ul className="plain">
                {i.evidence.map((e, n) => (
                  <li key={n}>
                    {e.page && <Link to={e.page.path.includes('?') ? e.page.path : `${e.page.path}${kept}`}>{e.page.label}</Link>}
                    {e.command && <code>{e.command}</code>}
                    {e.report && (
                      <>
                        <Link to="/reports">{e.report.label}</Link>
                        {': '}
                        {e.lastProduced ? `last produced ${formatDateTime(e.lastProduced)}` : 'not yet produced'}
                      </>
                    )}
                  </li>
                ))}
              </ul>
            ),
          },
        ]}
      />
    </>
  )
}
