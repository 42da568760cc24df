import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, useActionData, useLoaderData, useNavigation, useSearchParams } from '@remix-run/react'
import { getViewer, readForm } from '../lib/access.server.js'
import { safeRedirect, signIn } from '../lib/auth.server.js'

export const meta: MetaFunction = () => [{ title: 'Sign in – Sharing Ledger' }]

export async function loader({ request, context }: LoaderFunctionArgs) {
  if (await getViewer(request, context)) throw redirect('/')
  // Which ways in this installation offers (decision 038): NHS Care Identity when configured, passwords unless turned off.
  return json({ nhsCareIdentity: context.config.oidc !== null, passwords: context.config.passwordSignIn })
}

export async function action({ request, context }: ActionFunctionArgs) {
  // Before sign-in there is no session token; a foreign Origin is refused instead.
  const origin = request.headers.get('Origin')
  if (origin && origin !== new URL(request.url).origin) {
    throw new Response('Sign-in forms are only accepted from this site.', { status: 403 })
  }
  const form = await readForm(request)
  const email = String(form.get('email') ?? '').trim()
  const password = String(form.get('password') ?? '')
  if (context.config.passwordSignIn && (!email || !password))
    return json({ message: 'Enter your e-mail address and password.' }, { status: 400 })
  const result = await signIn(context, email, password)
  if (!result.ok) return json({ message: result.message }, { status: result.status })
  return redirect(safeRedirect(form.get('redirectTo')), { headers: { 'Set-Cookie': result.setCookie } })
}

export default function Login() {
  const actionData = useActionData<typeof action>()
  const { nhsCareIdentity, passwords } = useLoaderData<typeof loader>()
  const [params] = useSearchParams()
  const busy = useNavigation().state !== 'idle'
  const redirectTo = params.get('redirectTo') ?? '/'
  return (
    <div className="narrow">
      <h1>Sign in</h1>
      {params.get('signedOut') === '1' && !actionData?.message && (
        <p className="notice" data-testid="signed-out">
          You have signed out of Sharing Ledger and of NHS Care Identity.
        </p>
      )}
      {params.get('timedOut') === '1' && !actionData?.message && (
        <p className="notice" data-testid="timed-out">
          For your security, you were signed out after a time without activity. Sign in again to carry on: what you had typed in a form is
          put back.
        </p>
      )}
      {actionData?.message && (
        <div className="error-summary" role="alert" id="sign-in-error">
          {actionData.message}
        </div>
      )}
      {nhsCareIdentity && (
        <div className="panel stack">
          <p>NHS staff: sign in with your NHS Care Identity (smartcard or authenticator) and the role you are working in.</p>
          {/* A plain link, not a client-side one: the browser itself goes to the provider. */}
          <a className="button" href={`/auth/oidc/start?redirectTo=${encodeURIComponent(redirectTo)}`} data-testid="sign-in-nhs">
            Sign in with NHS Care Identity
          </a>
        </div>
      )}
      {passwords && (
        <Form method="post" className="panel stack" aria-describedby={actionData?.message ? 'sign-in-error' : undefined}>
          {nhsCareIdentity && <h2>Or sign in with a password</h2>}
          <input type="hidden" name="redirectTo" value={redirectTo} />
          <div>
            <label htmlFor="email">E-mail address</label>
            <input id="email" name="email" type="email" autoComplete="username" required autoFocus />
          </div>
          <div>
            <label htmlFor="password">Password</label>
            <input id="password" name="password" type="password" autoComplete="current-password" required />
          </div>
          <button type="submit" className="button" disabled={busy}>
            Sign in
          </button>
        </Form>
      )}
    </div>
  )
}
