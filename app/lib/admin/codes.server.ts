import { redirect } from '@remix-run/node'
import { z } from 'zod'
import { addChoiceMapping, addPurposeMapping, existingChoiceMapping, existingPurposeMapping } from '../../../db/queries/admin.js'
import { LOCAL_PURPOSE_SYSTEM, listChoiceCodeMap, listPurposeCodeMap, listPurposes } from '../../../db/queries/codes.js'
import { csvExport } from '../csv.server.js'
import { formFailure, readFormWith } from '../request.server.js'
import { intentOf, requireAdmin, type Args } from './shared.server.js'

/** Code systems sources commonly use, offered as suggestions (any http(s) or urn: URI is accepted). */
export const KNOWN_SYSTEMS = [
  'http://terminology.hl7.org/CodeSystem/v3-ActReason',
  LOCAL_PURPOSE_SYSTEM,
  'http://snomed.info/sct',
  'http://read.info/readv2',
  'http://read.info/ctv3',
]

export const CHOICE_KINDS = [
  { value: 'ndop', label: 'National Data Opt-out' },
  { value: 'type1', label: 'Type 1 opt-out' },
  { value: 'record_sharing', label: 'Record-sharing choice' },
  { value: 'scr', label: 'Summary Care Record choice' },
] as const

export async function getCodesPage(args: Args) {
  const { access } = await requireAdmin(args)
  const db = access.db
  const [purposeCodes, choiceCodes, purposes] = await Promise.all([listPurposeCodeMap(db), listChoiceCodeMap(db), listPurposes(db)])
  const labels = new Map(purposes.map((p) => [p.code, p.label]))
  const url = new URL(args.request.url)
  const notice = url.searchParams.get('notice')
  const system = url.searchParams.get('system') ?? ''
  const code = url.searchParams.get('code') ?? ''
  // The notice repeats a mapping only if it really exists: the address cannot put words on the page.
  const added =
    notice === 'purpose'
      ? purposeCodes.find((m) => m.system === system && m.code === code)
      : notice === 'choice'
        ? choiceCodes.find((m) => m.system === system && m.code === code)
        : undefined
  return {
    purposeCodes: purposeCodes.map((m) => ({ ...m, label: labels.get(m.purpose) ?? m.purpose })),
    choiceCodes,
    purposes: purposes.map((p) => ({ code: p.code, label: p.label, prohibited: p.prohibited })),
    choiceKinds: CHOICE_KINDS,
    knownSystems: KNOWN_SYSTEMS,
    notice: added ? `Added a mapping for ${added.code} (${added.system}). It applies from the next collection run.` : null,
  }
}

const CodeSchema = z.object({
  system: z
    .string()
    .trim()
    .min(1, 'Enter the code system URI, such as http://snomed.info/sct')
    .max(500, 'The code system is longer than 500 characters')
    .regex(/^(https?:\/\/|urn:)\S+$/, 'Enter the code system as a URI starting with http://, https:// or urn:'),
  code: z
    .string()
    .trim()
    .min(1, 'Enter the code')
    .max(100, 'The code is longer than 100 characters')
    .regex(/^\S+$/, 'A code has no spaces'),
})

export async function codesAction(args: Args) {
  const { access } = await requireAdmin(args)
  const read = await readFormWith(args.request, CodeSchema, { fields: ['system', 'code', 'purpose', 'kind', 'decision'] })
  const intent = intentOf(read.form, ['purpose', 'choice'])
  const db = access.db
  const values = read.values as Record<'system' | 'code' | 'purpose' | 'kind' | 'decision', string>
  const errors = read.ok ? {} : { ...read.errors }
  if (intent === 'purpose') {
    const purposes = await listPurposes(db)
    if (!purposes.some((p) => p.code === values.purpose)) errors.purpose = 'Choose the purpose this code means'
    if (read.ok) {
      const existing = await existingPurposeMapping(db, read.data)
      if (existing)
        errors.code = `This code is already mapped to the purpose "${existing}"; mappings are not changed, because records already loaded were read with them`
    }
    if (!read.ok || Object.keys(errors).length > 0) return formFailure(intent, errors, values)
    await addPurposeMapping(db, { ...read.data, purpose: values.purpose })
    await access.log('admin_code_map_add', {
      target: `purpose_code_map:${read.data.system}#${read.data.code}`,
      detail: { ...read.data, purpose: values.purpose },
    })
    return redirect(`/admin/codes?${new URLSearchParams({ notice: 'purpose', system: read.data.system, code: read.data.code })}`)
  }
  const kind = CHOICE_KINDS.find((k) => k.value === values.kind)?.value
  const decision = values.decision === 'deny' || values.decision === 'permit' ? values.decision : undefined
  if (!kind) errors.kind = 'Choose which choice this code records'
  if (!decision) errors.decision = 'Choose whether the code means the patient said no (opt-out) or yes'
  if (read.ok) {
    const existing = await existingChoiceMapping(db, read.data)
    if (existing)
      errors.code = `This code is already mapped to ${existing.kind} ${existing.decision}; mappings are not changed, because records already loaded were read with them`
  }
  if (!read.ok || !kind || !decision || Object.keys(errors).length > 0) return formFailure(intent, errors, values)
  await addChoiceMapping(db, { ...read.data, kind, decision })
  await access.log('admin_code_map_add', {
    target: `choice_code_map:${read.data.system}#${read.data.code}`,
    detail: { ...read.data, kind, decision },
  })
  return redirect(`/admin/codes?${new URLSearchParams({ notice: 'choice', system: read.data.system, code: read.data.code })}`)
}

export async function exportCodes(args: Args) {
  const { access } = await requireAdmin(args)
  const [purposeCodes, choiceCodes] = await Promise.all([listPurposeCodeMap(access.db), listChoiceCodeMap(access.db)])
  const rows = [
    ...purposeCodes.map((m) => ({ table: 'purpose', system: m.system, code: m.code, meaning: m.purpose })),
    ...choiceCodes.map((m) => ({ table: 'choice', system: m.system, code: m.code, meaning: `${m.kind} ${m.decision}` })),
  ]
  return csvExport(access, {
    name: 'code-mappings',
    filtered: false,
    url: new URL(args.request.url),
    rows,
    columns: [
      { header: 'table', value: (r) => r.table },
      { header: 'system', value: (r) => r.system },
      { header: 'code', value: (r) => r.code },
      { header: 'meaning', value: (r) => r.meaning },
    ],
  })
}
