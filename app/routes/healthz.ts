import { json, type LoaderFunctionArgs } from '@remix-run/node'
import { getDb } from '../lib/db.server.js'

/** For load balancers and the demo script: up means the database answers too. */
export async function loader({ context }: LoaderFunctionArgs) {
  const headers = { 'Cache-Control': 'no-store' }
  try {
    await getDb(context).raw('select 1')
    return json({ ok: true }, { headers })
  } catch {
    return json({ ok: false }, { status: 503, headers })
  }
}
