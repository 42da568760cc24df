import { redirect } from '@remix-run/node'
import { addSource } from '../../../core/admin/index.js'
import { listSourcesForAdmin, setSourceEnabled } from '../../../db/queries/admin.js'
import { listPractices } from '../../../db/queries/practices.js'
import { getSource, setBulkExport } from '../../../db/queries/sources.js'
import { readForm } from '../access.server.js'
import { csvExport } from '../csv.server.js'
import { formFailure, formText } from '../request.server.js'
import { adminContext, intentOf, noticeOf, practiceOptions, requireAdmin, targetId, type Args } from './shared.server.js'

export async function getSourcesPage(args: Args) {
  const { access, scope } = await requireAdmin(args)
  const [sources, practices] = await Promise.all([listSourcesForAdmin(access.db, scope), listPractices(access.db)])
  const n = noticeOf(new URL(args.request.url))
  const subject = n ? sources.find((s) => s.id === n.id) : undefined
  const notices: Record<string, (name: string) => string> = {
    added: (name) => `Added ${name}. It is collected at the next scheduled run, or now with Run now on the Jobs page.`,
    disabled: (name) => `Disabled ${name}: scheduled collection skips it.`,
    enabled: (name) => `Enabled ${name}: it is collected at the next scheduled run.`,
    bulk_on: (name) => `Backfills of ${name} now read through FHIR Bulk Data $export.`,
    bulk_off: (name) => `Backfills of ${name} now read page by page.`,
  }
  return {
    sources,
    practices: practiceOptions(practices),
    notice: n && subject && notices[n.notice] ? notices[n.notice]!(subject.name) : null,
  }
}

export async function sourcesAction(args: Args) {
  const { access } = await requireAdmin(args)
  const form = await readForm(args.request)
  const intent = intentOf(form, ['add', 'enable', 'disable', 'bulk_on', 'bulk_off'])
  const db = access.db
  if (intent === 'add') {
    // The token is write-only: it is never sent back to the page, even when the form has errors.
    const values = {
      practice: formText(form, 'practice'),
      newPracticeOds: formText(form, 'newPracticeOds'),
      newPracticeName: formText(form, 'newPracticeName'),
      name: formText(form, 'name'),
      baseUrl: formText(form, 'baseUrl'),
      expectedInterval: formText(form, 'expectedInterval'),
      bulkExport: formText(form, 'bulkExport'),
    }
    const added = await addSource(adminContext(access, args), { ...values, token: formText(form, 'token') })
    if (!added.ok) return formFailure(intent, added.errors, values)
    return redirect(`/admin/sources?notice=added&id=${added.value.source.id}`)
  }
  const sourceId = targetId(form, 'sourceId')
  const source = await getSource(db, sourceId)
  if (!source) throw new Response('There is no such source.', { status: 404 })
  if (intent === 'bulk_on' || intent === 'bulk_off') {
    if (!(await setBulkExport(db, sourceId, intent === 'bulk_on')))
      throw new Response('Only a FHIR source can offer $export.', { status: 400 })
    await access.log('admin_source_bulk_export', {
      practiceId: source.practice_id,
      target: `source:${sourceId}`,
      detail: { name: source.name, bulkExport: intent === 'bulk_on' },
    })
    return redirect(`/admin/sources?notice=${intent}&id=${sourceId}`)
  }
  await setSourceEnabled(db, sourceId, intent === 'enable')
  await access.log(intent === 'enable' ? 'admin_source_enable' : 'admin_source_disable', {
    practiceId: source.practice_id,
    target: `source:${sourceId}`,
    detail: { name: source.name },
  })
  return redirect(`/admin/sources?notice=${intent === 'enable' ? 'enabled' : 'disabled'}&id=${sourceId}`)
}

export async function exportSources(args: Args) {
  const { access, scope } = await requireAdmin(args)
  const rows = await listSourcesForAdmin(access.db, scope)
  return csvExport(access, {
    name: 'sources',
    filtered: false,
    url: new URL(args.request.url),
    rows,
    columns: [
      { header: 'id', value: (r) => r.id },
      { header: 'name', value: (r) => r.name },
      { header: 'kind', value: (r) => r.kind },
      { header: 'practice', value: (r) => r.practiceOds },
      { header: 'base_url', value: (r) => r.baseUrl },
      { header: 'token', value: (r) => (r.tokenSet ? 'set' : 'not set') },
      { header: 'expected_interval_minutes', value: (r) => r.expectedIntervalMinutes },
      { header: 'enabled', value: (r) => r.enabled },
      { header: 'bulk_export', value: (r) => r.bulkExport },
    ],
  })
}
