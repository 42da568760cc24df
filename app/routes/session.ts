import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node'
import { requireAccess } from '../lib/access.server.js'
import { extendSession, readSession, sessionSecondsLeft } from '../lib/session.server.js'

// The session-timeout warning's two questions (app/components/session-timeout.tsx).
const NO_STORE = { 'Cache-Control': 'no-store' }

/** How long is left of this session? Asking does not extend it. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const session = await readSession(context, request, { touch: false })
  if (!session) throw redirect('/login?redirectTo=%2F', { headers: NO_STORE })
  return json({ secondsLeft: sessionSecondsLeft(session) }, { headers: NO_STORE })
}

/** "Stay signed in": a form post like any other (same-site, anti-forgery token). */
export async function action(args: ActionFunctionArgs) {
  const { viewer } = await requireAccess(args)
  const end = await extendSession(args.context, args.request)
  if (!end) throw redirect('/login?redirectTo=%2F', { headers: NO_STORE })
  return json(
    { secondsLeft: sessionSecondsLeft({ idleExpiresAt: end, absoluteExpiresAt: viewer.session.absoluteExpiresAt }) },
    { headers: NO_STORE },
  )
}
