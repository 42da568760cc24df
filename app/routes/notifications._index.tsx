import { json, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Link, useLoaderData } from '@remix-run/react'
import { getNotificationsPage } from '../lib/notifications.server.js'
import { formatDateTime } from '../../core/format.js'
import { NOTIFICATION_KIND_LABELS, NOTIFICATION_WHEN_LABELS } from '../../core/labels.js'

export const meta: MetaFunction = () => [{ title: 'Notifications – Sharing Ledger' }]

export async function loader(args: LoaderFunctionArgs) {
  return json(await getNotificationsPage(args))
}

/** What needs you now, most urgent first (decision 028). Nothing here names a patient. */
export default function Notifications() {
  const { items } = useLoaderData<typeof loader>()
  return (
    <>
      <h1>Notifications</h1>
      <p>What needs you now at your practices, most urgent first. Each one links to the page where you can act on it.</p>
      {items.length === 0 ? (
        <p data-testid="no-notifications">Nothing needs you now.</p>
      ) : (
        <ol className="notification-list" data-testid="notifications">
          {items.map((n) => (
            <li key={`${n.kind}-${n.link}-${n.when}`} data-kind={n.kind}>
              <strong>{NOTIFICATION_KIND_LABELS[n.kind]}</strong>: {n.sentence}{' '}
              <span>
                ({NOTIFICATION_WHEN_LABELS[n.kind]} {formatDateTime(n.when)})
              </span>{' '}
              <Link to={n.link}>Open {n.linkLabel}</Link>
            </li>
          ))}
        </ol>
      )}
    </>
  )
}
