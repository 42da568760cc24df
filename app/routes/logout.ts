import type { ActionFunctionArgs } from '@remix-run/node'
import { redirect } from '@remix-run/node'
import { requireAccess } from '../lib/access.server.js'
import { signOut } from '../lib/auth.server.js'
import { providerLogoutUrl } from '../lib/oidc.server.js'

export async function action(args: ActionFunctionArgs) {
  const access = await requireAccess(args)
  await access.log('sign_out')
  return signOut(args.context, args.request, (idToken) => providerLogoutUrl(args.context.config, idToken))
}

export const loader = () => redirect('/')
