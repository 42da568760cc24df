import { json, redirect, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { useLoaderData } from '@remix-run/react'
import { SignInRefused } from '../components/sign-in-refused.js'
import { notFound } from '../lib/access.server.js'
import { finishOidcSignIn } from '../lib/oidc.server.js'

// Where NHS Care Identity sends the browser back: signed in, or told plainly why not (decision 038).

export const meta: MetaFunction = () => [{ title: 'Sign in – Sharing Ledger' }]

export async function loader({ request, context }: LoaderFunctionArgs) {
  if (!context.config.oidc) throw notFound()
  const outcome = await finishOidcSignIn(context, request)
  const headers = new Headers({ 'Cache-Control': 'no-store' })
  for (const cookie of outcome.setCookie) headers.append('Set-Cookie', cookie)
  if (outcome.ok) throw redirect(outcome.redirectTo, { headers })
  return json({ title: outcome.title, message: outcome.message }, { status: outcome.status, headers })
}

export default function FinishOidcSignIn() {
  const data = useLoaderData<typeof loader>()
  return <SignInRefused title={data.title} message={data.message} />
}
