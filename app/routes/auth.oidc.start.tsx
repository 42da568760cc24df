import { json, redirect, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { useLoaderData } from '@remix-run/react'
import { SignInRefused } from '../components/sign-in-refused.js'
import { getViewer, notFound } from '../lib/access.server.js'
import { startOidcSignIn } from '../lib/oidc.server.js'

// "Sign in with NHS Care Identity": off to the provider with a fresh state, nonce and PKCE challenge (decision 038).

export const meta: MetaFunction = () => [{ title: 'Sign in – Sharing Ledger' }]

export async function loader({ request, context }: LoaderFunctionArgs) {
  if (!context.config.oidc) throw notFound()
  if (await getViewer(request, context)) throw redirect('/')
  const started = await startOidcSignIn(context, new URL(request.url).searchParams.get('redirectTo'))
  if (!started.ok)
    return json({ title: started.title, message: started.message }, { status: started.status, headers: { 'Cache-Control': 'no-store' } })
  throw redirect(started.url, { headers: { 'Set-Cookie': started.setCookie, 'Cache-Control': 'no-store' } })
}

export default function StartOidcSignIn() {
  const data = useLoaderData<typeof loader>()
  return <SignInRefused title={data.title} message={data.message} />
}
