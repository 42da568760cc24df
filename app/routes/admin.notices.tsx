import { json, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData, useLocation, useNavigation } from '@remix-run/react'
import { AdminNav } from '../components/admin-nav.js'
import { DataTable } from '../components/data-table.js'
import { CsrfField } from '../components/csrf-field.js'
import { formatDay } from '../../core/format.js'
import { getNoticesPage, noticesAction } from '../lib/notices.server.js'

export const meta: MetaFunction = () => [{ title: 'Privacy notices – Administration – Sharing Ledger' }]

export async function loader(args: LoaderFunctionArgs) {
  return json(await getNoticesPage(args))
}

export const action = (args: ActionFunctionArgs) => noticesAction(args)

export default function AdminNotices() {
  const data = useLoaderData<typeof loader>()
  const failed = useActionData<typeof action>()
  const busy = useNavigation().state === 'submitting'
  const { search } = useLocation()
  return (
    <>
      <h1>Privacy notices</h1>
      <AdminNav />
      <div role="status" aria-live="polite">
        {data.recorded && <p className="notice">Version {data.recorded} of the notice is recorded; the findings have been refreshed.</p>}
      </div>
      <Form method="get" className="panel filter-bar" aria-label="Choose the practice">
        <div>
          <label htmlFor="notice-practice">Practice</label>
          <select id="notice-practice" name="practice" defaultValue={data.practice?.odsCode ?? ''} key={data.practice?.odsCode ?? ''}>
            <option value="">Choose a practice</option>
            {data.practices.map((p) => (
              <option key={p.odsCode} value={p.odsCode}>
                {p.name} ({p.odsCode})
              </option>
            ))}
          </select>
        </div>
        <button type="submit" className="button">
          Show its notice
        </button>
      </Form>
      {data.practice && (
        <>
          <section className="panel" aria-labelledby="versions-heading">
            <h2 id="versions-heading">Versions of {data.practice.name}’s notice</h2>
            {data.versions.length === 0 ? (
              <p>No notice is recorded for this practice yet.</p>
            ) : (
              <DataTable
                scroll={false}
                caption="Every version, newest first (a version is never changed)"
                rows={data.versions}
                rowKey={(v) => v.id}
                rowProps={(v) => ({ 'data-testid': `notice-version-${v.version}` })}
                columns={[
                  { header: 'Version', cell: (v) => v.version },
                  { header: 'Title', cell: (v) => v.title },
                  { header: 'In force from', cell: (v) => formatDay(v.inForceFrom) },
                  { header: 'Promises', cell: (v) => v.promises.join(', ') },
                  { header: 'Recorded by', cell: (v) => v.recordedBy },
                ]}
              />
            )}
          </section>
          <section className="panel" aria-labelledby="edit-heading">
            <h2 id="edit-heading">Record a new version</h2>
            <p>
              Edit the latest version below (YAML, the same format as <code>npm run ledger -- notice import</code>; see the README) and save
              it as the next version: set <code>in_force_from</code> to the day it takes effect. Promises come from the catalogue:{' '}
              {data.catalogue.map((c) => c.code).join(', ')}.
            </p>
            {failed?.error && (
              <div className="error-summary" role="alert" data-testid="notice-error">
                <h3>The notice was not recorded</h3>
                <p>{failed.error}</p>
              </div>
            )}
            <Form method="post" action={`/admin/notices${search}`} key={data.recorded ?? 'edit'}>
              <CsrfField />
              <label htmlFor="notice-text">The notice (YAML)</label>
              <textarea id="notice-text" name="notice" rows={24} cols={100} defaultValue={failed?.draft ?? data.draft} spellCheck={false} />
              <div>
                <button type="submit" className="button" disabled={busy}>
                  Save as a new version
                </button>{' '}
                <Link to={`/promises?practice=${data.practice.odsCode}`}>See its promises</Link>
              </div>
            </Form>
          </section>
        </>
      )}
    </>
  )
}
