import type { AppLoadContext } from '@remix-run/node'
import type { AdminContext } from '../../../core/admin/index.js'
import type { Scope } from '../../../db/queries/scope.js'
import { listPractices } from '../../../db/queries/practices.js'
import type { Access } from '../access.server.js'
import { refreshFindingsAfterChange } from '../findings.server.js'
import { formText, formTexts } from '../request.server.js'
import { requireScope } from '../scope.server.js'

/**
 * What the administration pages share. Every loader and action goes through requireAccess with
 * the admin role (403 for anyone else), every form carries the anti-forgery token, and every
 * change is written to the access log, never with a password or a token in it.
 */

export type Args = { request: Request; context: AppLoadContext }

export async function requireAdmin(args: Args): Promise<{ access: Access; scope: Scope }> {
  return requireScope(args, { roles: ['admin'] })
}

/** The core operations (core/admin/) acting as the signed-in administrator. */
export function adminContext(access: Access, args: Args): AdminContext {
  return {
    db: access.db,
    by: { userId: access.viewer.id, actor: access.viewer.email, ip: args.context.ip ?? null },
    door: 'web',
    refreshFindings: () => refreshFindingsAfterChange(access),
  }
}

export function intentOf(form: FormData, allowed: readonly string[]): string {
  const intent = formText(form, 'intent')
  if (!allowed.includes(intent)) throw new Response('This form is not one the page knows. Reload the page and try again.', { status: 400 })
  return intent
}

export function targetId(form: FormData, name: string): number {
  const raw = formText(form, name)
  if (!/^\d{1,9}$/.test(raw))
    throw new Response('The form did not say which record to change. Reload the page and try again.', { status: 400 })
  return Number(raw)
}

/** The ODS codes of the practices whose boxes were ticked (ids in the form; unknown ids are ignored). */
export async function tickedPracticeCodes(access: Access, form: FormData, name = 'practices'): Promise<string[]> {
  const ids = new Set(
    formTexts(form, name)
      .filter((v) => /^\d{1,9}$/.test(v))
      .map(Number),
  )
  return (await listPractices(access.db)).filter((p) => ids.has(p.id)).map((p) => p.ods_code)
}

export const practiceOptions = (practices: Array<{ id: number; ods_code: string; name: string }>) =>
  practices.map((p) => ({ id: p.id, odsCode: p.ods_code, name: p.name }))

/** The notice shown after a successful change; only a code and an id travel in the address. */
export function noticeOf(url: URL): { notice: string; id: number } | null {
  const notice = url.searchParams.get('notice')
  const id = Number(url.searchParams.get('id'))
  return notice && /^[a-z_]{1,32}$/.test(notice) && Number.isInteger(id) && id > 0 ? { notice, id } : null
}
