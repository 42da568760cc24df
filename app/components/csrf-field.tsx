import { useRouteLoaderData } from '@remix-run/react'
import type { loader as rootLoader } from '../root.js'

/** The hidden anti-forgery field every state-changing form carries (checked in requireAccess). */
export function CsrfField() {
  const data = useRouteLoaderData<typeof rootLoader>('root')
  return <input type="hidden" name="csrf" value={data?.csrf ?? ''} />
}
