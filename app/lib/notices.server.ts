import { json, redirect, type AppLoadContext } from '@remix-run/node'
import { readForm } from './access.server.js'
import { PROMISE_CATALOGUE } from '../../core/promises.js'
import { listNoticeVersions, recordNotice } from '../../db/queries/notices.js'
import { checkNotice, knownCodes, NoticeFileError, noticeInput, noticeToYaml, parseNoticeText } from '../../jobs/import-notice.js'
import { refreshFindingsAfterChange } from './findings.server.js'
import { requireScope } from './scope.server.js'

/**
 * /admin/notices: administrators record a practice's next notice version by editing the latest
 * one as YAML, the same format and the same checks as `ledger notice import` (jobs/import-notice.ts).
 * A recorded version is never changed: saving adds the next one.
 */

type Args = { request: Request; context: AppLoadContext }

const TEMPLATE = `title: Your information and how we share it
in_force_from: 2026-01-01
promises:
  - promise: never_marketing_insurance
    words: "We would never share it for marketing or insurance purposes."
`

export async function getNoticesPage(args: Args) {
  const { access, scope } = await requireScope(args, { roles: ['admin'] })
  const url = new URL(args.request.url)
  const chosen = url.searchParams.get('practice') ? scope.practiceIds[0] : undefined
  const practices = access.viewer.practices.map((p) => ({ id: p.id, odsCode: p.odsCode, name: p.name }))
  const practice = practices.find((p) => p.id === chosen) ?? null
  const versions = practice ? await listNoticeVersions(access.db, practice.id) : []
  return {
    practices,
    practice,
    versions: versions.map((v) => ({
      id: v.id,
      version: v.version,
      title: v.title,
      inForceFrom: v.inForceFrom,
      recordedBy: v.recordedBy,
      promises: v.promises.map((p) => p.promise),
    })),
    draft: versions[0] ? noticeToYaml(versions[0]) : TEMPLATE,
    catalogue: PROMISE_CATALOGUE.map((p) => ({ code: p.code, title: p.title })),
    recorded: url.searchParams.get('recorded'),
  }
}

export async function noticesAction(args: Args) {
  const { access, scope } = await requireScope(args, { roles: ['admin'] })
  const form = await readForm(args.request)
  const url = new URL(args.request.url)
  const practice = url.searchParams.get('practice') ? access.viewer.practices.find((p) => p.id === scope.practiceIds[0]) : undefined
  if (!practice) throw new Response('Choose the practice whose notice this is.', { status: 400 })
  const text = typeof form.get('notice') === 'string' ? (form.get('notice') as string) : ''
  try {
    const notice = checkNotice(parseNoticeText(text), await knownCodes(access.db))
    const { id, version } = await recordNotice(
      access.db,
      practice.id,
      noticeInput(notice, { source: null, recordedBy: access.viewer.email }),
    )
    await access.log('admin_notice_version', { practiceIds: [practice.id], target: `notice:${id}`, detail: { version } })
    await refreshFindingsAfterChange(access)
    return redirect(`/admin/notices?practice=${practice.odsCode}&recorded=${version}`)
  } catch (err) {
    if (err instanceof NoticeFileError) return json({ error: err.message, draft: text }, { status: 400 })
    throw err
  }
}
