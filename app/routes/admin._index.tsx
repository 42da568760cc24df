import { json, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Link, useLoaderData } from '@remix-run/react'
import { AdminNav } from '../components/admin-nav.js'
import { getAdminIndex } from '../lib/admin/index.server.js'
import { formatCount } from '../../core/format.js'

export const meta: MetaFunction = () => [{ title: 'Administration – Sharing Ledger' }]

export async function loader(args: LoaderFunctionArgs) {
  return json(await getAdminIndex(args))
}

export default function AdminIndex() {
  const { counts } = useLoaderData<typeof loader>()
  return (
    <>
      <h1>Administration</h1>
      <AdminNav />
      <p>Every change made on these pages is written to the access log with your name.</p>
      <ul className="admin-cards">
        <li className="panel">
          <h2>
            <Link to="/admin/users">Users</Link>
          </h2>
          <p>
            {formatCount(counts.users)} {counts.users === 1 ? 'user' : 'users'}
            {counts.disabledUsers > 0 && `, ${formatCount(counts.disabledUsers)} disabled`}. Add people, give them a role and their
            practices, disable an account.
          </p>
        </li>
        <li className="panel">
          <h2>
            <Link to="/admin/sources">Sources</Link>
          </h2>
          <p>
            {formatCount(counts.sources)} {counts.sources === 1 ? 'source' : 'sources'}. Add a practice system (FHIR) to collect from, or
            enable and disable one.
          </p>
        </li>
        <li className="panel">
          <h2>
            <Link to="/admin/agreements">Data sharing agreements</Link>
          </h2>
          <p>
            {formatCount(counts.agreements)} {counts.agreements === 1 ? 'agreement' : 'agreements'}. Record who may receive data, for which
            purposes, at what level, and for which practices.
          </p>
        </li>
        <li className="panel">
          <h2>
            <Link to="/admin/codes">Code mappings</Link>
          </h2>
          <p>
            {formatCount(counts.purposeCodes)} purpose codes and {formatCount(counts.choiceCodes)} opt-out and choice codes. Teach the
            collectors a code they quarantined as unknown.
          </p>
        </li>
      </ul>
    </>
  )
}
