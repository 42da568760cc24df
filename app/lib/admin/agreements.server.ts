import { redirect } from '@remix-run/node'
import { addAgreement } from '../../../core/admin/index.js'
import { DATA_LEVELS } from '../../../core/inputs.js'
import { DATA_LEVEL_LABELS } from '../../../core/labels.js'
import { listAgreements, listOrganisations } from '../../../db/queries/admin.js'
import { listPurposes, listRecipientTypes } from '../../../db/queries/codes.js'
import { listPractices } from '../../../db/queries/practices.js'
import { readForm } from '../access.server.js'
import { csvExport } from '../csv.server.js'
import { formFailure, formText, formTexts } from '../request.server.js'
import { adminContext, intentOf, noticeOf, practiceOptions, requireAdmin, tickedPracticeCodes, type Args } from './shared.server.js'

export async function getAgreementsPage(args: Args) {
  const { access, scope } = await requireAdmin(args)
  const db = access.db
  const [agreements, organisations, recipientTypes, purposes, practices] = await Promise.all([
    listAgreements(db, scope),
    listOrganisations(db),
    listRecipientTypes(db),
    listPurposes(db),
    listPractices(db),
  ])
  const n = noticeOf(new URL(args.request.url))
  const subject = n?.notice === 'added' ? agreements.find((a) => a.id === n.id) : undefined
  return {
    agreements,
    organisations,
    recipientTypes,
    // Marketing and insurance are prohibited purposes: no agreement can make them lawful here.
    purposes: purposes.filter((p) => !p.prohibited).map((p) => ({ code: p.code, label: p.label })),
    practices: practiceOptions(practices),
    dataLevels: DATA_LEVELS.map((value) => ({ value, label: DATA_LEVEL_LABELS[value] })),
    notice: subject ? `Added agreement ${subject.reference} with ${subject.recipientName}.` : null,
    prefill: prefillOf(new URL(args.request.url)),
  }
}

/**
 * The add form filled in from the address, as a finding case links to it (decision 036):
 * ?recipient=<id>&purposes=<code>&practices=<id>&validFrom=YYYY-MM-DD. Only what the form would
 * offer anyway; the operation checks everything again when it is submitted.
 */
function prefillOf(url: URL): Record<string, string | string[]> | null {
  const p = url.searchParams
  const ids = (name: string) => p.getAll(name).filter((v) => /^\d{1,9}$/.test(v))
  const recipient = ids('recipient')[0]
  if (!recipient) return null
  const validFrom = p.get('validFrom') ?? ''
  return {
    recipient,
    purposes: p.getAll('purposes').filter((v) => /^[a-z_]{1,40}$/.test(v)),
    practices: ids('practices'),
    ...(/^\d{4}-\d{2}-\d{2}$/.test(validFrom) ? { validFrom } : {}),
  }
}

export async function agreementsAction(args: Args) {
  const { access } = await requireAdmin(args)
  const form = await readForm(args.request)
  const intent = intentOf(form, ['add'])
  const values = {
    reference: formText(form, 'reference'),
    recipient: formText(form, 'recipient'),
    newRecipientName: formText(form, 'newRecipientName'),
    newRecipientOds: formText(form, 'newRecipientOds'),
    newRecipientType: formText(form, 'newRecipientType'),
    purposes: formTexts(form, 'purposes'),
    dataLevel: formText(form, 'dataLevel'),
    validFrom: formText(form, 'validFrom'),
    validTo: formText(form, 'validTo'),
    practices: formTexts(form, 'practices'),
    description: formText(form, 'description'),
  }
  const added = await addAgreement(adminContext(access, args), { ...values, practices: await tickedPracticeCodes(access, form) })
  if (!added.ok) return formFailure(intent, added.errors, values)
  return redirect(`/admin/agreements?notice=added&id=${added.value.id}`)
}

export async function exportAgreements(args: Args) {
  const { access, scope } = await requireAdmin(args)
  const rows = await listAgreements(access.db, scope)
  return csvExport(access, {
    name: 'data-sharing-agreements',
    filtered: false,
    url: new URL(args.request.url),
    rows,
    columns: [
      { header: 'id', value: (r) => r.id },
      { header: 'reference', value: (r) => r.reference },
      { header: 'recipient', value: (r) => r.recipientName },
      { header: 'recipient_ods', value: (r) => r.recipientOds },
      { header: 'recipient_type', value: (r) => r.recipientTypeLabel },
      { header: 'purposes', value: (r) => r.purposes.map((p) => p.code).join(' ') },
      { header: 'data_level', value: (r) => r.dataLevel },
      { header: 'valid_from', value: (r) => r.validFrom },
      { header: 'valid_to', value: (r) => r.validTo },
      { header: 'practices', value: (r) => r.practices.join(' ') },
    ],
  })
}
