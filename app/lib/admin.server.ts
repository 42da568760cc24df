import { json, redirect, type AppLoadContext, type TypedResponse } from '@remix-run/node'
import { z } from 'zod'
import { RecordDayField } from '../../core/inputs.js'
import {
  addChoiceMapping,
  addPurposeMapping,
  adminCounts,
  agreementReferenceExists,
  existingChoiceMapping,
  existingPurposeMapping,
  findFhirSource,
  listAgreements,
  listOrganisations,
  listSourcesForAdmin,
  listUsers,
  organisationExists,
  setSourceEnabled,
  setUserDisabled,
} from '../../db/queries/admin.js'
import { addAgreement } from '../../db/queries/agreements.js'
import { refreshFindingsAfterChange } from './findings.server.js'
import { LOCAL_PURPOSE_SYSTEM, listChoiceCodeMap, listPurposeCodeMap, listPurposes, listRecipientTypes } from '../../db/queries/codes.js'
import { ensureOrganisation } from '../../db/queries/organisations.js'
import { ensurePractice, listPractices, ODS_PRACTICE_PATTERN } from '../../db/queries/practices.js'
import { addSource, getSource } from '../../db/queries/sources.js'
import type { Scope } from '../../db/queries/scope.js'
import { createUser, findUserByEmail, getUser, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, ROLES, userPracticeIds } from '../../db/queries/users.js'
import { type Access, readForm } from './access.server.js'
import { USER_ROLE_LABELS as ROLE_LABELS } from '../../core/labels.js'
import { AGREEMENT_DESCRIPTION_LIMIT } from './limits.js'
import { csvExport } from './csv.server.js'
import { requireScope } from './scope.server.js'

/**
 * The administration pages: users, sources, data sharing agreements and code mappings. Every
 * loader and action goes through requireAccess with the admin role (403 for anyone else), every
 * form carries the anti-forgery token, and every change is written to the access log, never
 * with a password or a token in it.
 */

type Args = { request: Request; context: AppLoadContext }

/** A form that did not validate: which form, what is wrong with each field, and what was typed (never secrets). */
export interface FormFailure {
  intent: string
  errors: Record<string, string>
  values: Record<string, string | string[]>
}

async function requireAdmin(args: Args): Promise<{ access: Access; scope: Scope }> {
  return requireScope(args, { roles: ['admin'] })
}

function failure(intent: string, errors: Record<string, string>, values: Record<string, string | string[]>): TypedResponse<FormFailure> {
  return json({ intent, errors, values }, { status: 400 })
}

/** The first problem with each field, as a sentence for the person filling the form in. */
function fieldErrors(error: z.ZodError): Record<string, string> {
  const errors: Record<string, string> = {}
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? 'form')
    errors[field] ??= issue.message
  }
  return errors
}

const text = (form: FormData, name: string) => {
  const v = form.get(name)
  return typeof v === 'string' ? v : ''
}
const texts = (form: FormData, name: string) => form.getAll(name).filter((v): v is string => typeof v === 'string')

const trimmed = (max: number, empty: string, tooLong: string) => z.string().trim().min(1, empty).max(max, tooLong)
// An agreement's dates: bounded (2000 to 2099), real calendar days.
const isoDay = RecordDayField
const idList = (form: FormData, name: string) => texts(form, name).filter((v) => /^\d{1,9}$/.test(v)).map(Number)

function intentOf(form: FormData, allowed: readonly string[]): string {
  const intent = text(form, 'intent')
  if (!allowed.includes(intent)) throw new Response('This form is not one the page knows. Reload the page and try again.', { status: 400 })
  return intent
}

function targetId(form: FormData, name: string): number {
  const raw = text(form, name)
  if (!/^\d{1,9}$/.test(raw)) throw new Response('The form did not say which record to change. Reload the page and try again.', { status: 400 })
  return Number(raw)
}

/** The notice shown after a successful change; only a code and an id travel in the address. */
function noticeOf(url: URL): { notice: string; id: number } | null {
  const notice = url.searchParams.get('notice')
  const id = Number(url.searchParams.get('id'))
  return notice && /^[a-z_]{1,32}$/.test(notice) && Number.isInteger(id) && id > 0 ? { notice, id } : null
}

// ---------------------------------------------------------------- index

export async function getAdminIndex(args: Args) {
  const { access, scope } = await requireAdmin(args)
  return { counts: await adminCounts(access.db, scope) }
}

// ---------------------------------------------------------------- users

export async function getUsersPage(args: Args) {
  const { access, scope } = await requireAdmin(args)
  const [users, practices] = await Promise.all([listUsers(access.db, scope), listPractices(access.db)])
  const n = noticeOf(new URL(args.request.url))
  const subject = n ? users.find((u) => u.id === n.id) : undefined
  const notices: Record<string, (email: string) => string> = {
    added: (email) => `Added ${email}. They can sign in now with the password you set; ask them to keep it safe.`,
    disabled: (email) => `Disabled ${email}: they are signed out and cannot sign in until enabled again.`,
    enabled: (email) => `Enabled ${email}: they can sign in again.`,
  }
  return {
    viewerId: access.viewer.id,
    users,
    practices: practices.map((p) => ({ id: p.id, odsCode: p.ods_code, name: p.name })),
    roles: ROLES.map((r) => ({ value: r, label: ROLE_LABELS[r] })),
    minPasswordLength: MIN_PASSWORD_LENGTH,
    notice: n && subject && notices[n.notice] ? notices[n.notice]!(subject.email) : null,
  }
}

const NewUserSchema = z.object({
  email: z.string().trim().min(1, 'Enter an e-mail address').max(254, 'The e-mail address is too long').email('Enter an e-mail address like name@practice.nhs.uk'),
  displayName: trimmed(120, 'Enter the name people will see', 'The name is longer than 120 characters'),
  role: z.enum(ROLES, { message: 'Choose a role' }),
  password: z
    .string()
    .min(MIN_PASSWORD_LENGTH, `The password must be at least ${MIN_PASSWORD_LENGTH} characters`)
    .max(MAX_PASSWORD_LENGTH, `The password is longer than ${MAX_PASSWORD_LENGTH} characters`),
})

export async function usersAction(args: Args) {
  const { access } = await requireAdmin(args)
  const form = await readForm(args.request)
  const intent = intentOf(form, ['add', 'disable', 'enable'])
  const db = access.db
  if (intent === 'add') {
    const values = { email: text(form, 'email'), displayName: text(form, 'displayName'), role: text(form, 'role'), practices: texts(form, 'practices') }
    const parsed = NewUserSchema.safeParse({ ...values, password: text(form, 'password') })
    const errors = parsed.success ? {} : fieldErrors(parsed.error)
    const practices = await listPractices(db)
    const chosen = practices.filter((p) => idList(form, 'practices').includes(p.id))
    // An administrator sees every practice by role; anyone else sees only what they are given.
    const role = ROLES.find((r) => r === values.role)
    if (role && role !== 'admin' && chosen.length === 0) errors.practices = 'Choose at least one practice this user works for'
    if (!errors.email && (await findUserByEmail(db, values.email))) errors.email = 'A user with this e-mail address already exists'
    if (!parsed.success || Object.keys(errors).length > 0) return failure(intent, errors, values)
    const u = parsed.data
    const practiceIds = u.role === 'admin' ? [] : chosen.map((p) => p.id)
    const user = await createUser(db, { email: u.email, displayName: u.displayName, password: u.password, role: u.role, practiceIds })
    await access.log('admin_user_add', {
      practiceIds,
      target: `user:${user.id}`,
      detail: { email: user.email, role: user.role, practices: u.role === 'admin' ? 'all' : chosen.map((p) => p.ods_code) },
    })
    return redirect(`/admin/users?notice=added&id=${user.id}`)
  }
  const userId = targetId(form, 'userId')
  const user = await getUser(db, userId)
  if (!user) throw new Response('There is no such user.', { status: 404 })
  if (intent === 'disable' && userId === access.viewer.id) {
    return failure(intent, { form: 'You cannot disable your own account: ask another administrator.' }, {})
  }
  await setUserDisabled(db, userId, intent === 'disable')
  await access.log(intent === 'disable' ? 'admin_user_disable' : 'admin_user_enable', {
    practiceIds: await userPracticeIds(db, userId),
    target: `user:${userId}`,
    detail: { email: user.email },
  })
  return redirect(`/admin/users?notice=${intent === 'disable' ? 'disabled' : 'enabled'}&id=${userId}`)
}

export async function exportUsers(args: Args) {
  const { access, scope } = await requireAdmin(args)
  const rows = await listUsers(access.db, scope)
  return csvExport(access, {
    name: 'users',
    filtered: false,
    url: new URL(args.request.url),
    rows,
    columns: [
      { header: 'id', value: (r) => r.id },
      { header: 'email', value: (r) => r.email },
      { header: 'display_name', value: (r) => r.displayName },
      { header: 'role', value: (r) => r.role },
      { header: 'practices', value: (r) => (r.role === 'admin' ? 'all' : r.practices.map((p) => p.odsCode).join(' ')) },
      { header: 'disabled_at', value: (r) => r.disabledAt },
      { header: 'created_at', value: (r) => r.createdAt },
    ],
  })
}

// ---------------------------------------------------------------- sources

export async function getSourcesPage(args: Args) {
  const { access, scope } = await requireAdmin(args)
  const [sources, practices] = await Promise.all([listSourcesForAdmin(access.db, scope), listPractices(access.db)])
  const n = noticeOf(new URL(args.request.url))
  const subject = n ? sources.find((s) => s.id === n.id) : undefined
  const notices: Record<string, (name: string) => string> = {
    added: (name) => `Added ${name}. It is collected at the next scheduled run, or now with Run now on the Jobs page.`,
    disabled: (name) => `Disabled ${name}: scheduled collection skips it.`,
    enabled: (name) => `Enabled ${name}: it is collected at the next scheduled run.`,
  }
  return {
    sources,
    practices: practices.map((p) => ({ id: p.id, odsCode: p.ods_code, name: p.name })),
    notice: n && subject && notices[n.notice] ? notices[n.notice]!(subject.name) : null,
  }
}

const NewSourceSchema = z.object({
  name: trimmed(120, 'Enter a name people will recognise, such as "Riverside EMIS"', 'The name is longer than 120 characters'),
  baseUrl: z
    .string()
    .trim()
    .min(1, 'Enter the FHIR base URL, such as https://practice.example/fhir')
    .max(2000, 'The address is longer than 2,000 characters')
    .superRefine((v, ctx) => {
      let url: URL
      try {
        url = new URL(v)
      } catch {
        ctx.addIssue({ code: 'custom', message: 'Enter a full address starting with https:// or http://' })
        return
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:') ctx.addIssue({ code: 'custom', message: 'The address must start with https:// or http://' })
      else if (url.username || url.password) ctx.addIssue({ code: 'custom', message: 'Put the credentials in the token field, not in the address' })
    })
    .transform((v) => v.replace(/\/+$/, '')),
  token: z.string().max(4096, 'The token is longer than 4,096 characters'),
  expectedInterval: z.coerce
    .number({ message: 'Enter the expected interval in minutes, as a whole number' })
    .int('Enter the expected interval in minutes, as a whole number')
    .min(5, 'The expected interval must be at least 5 minutes')
    .max(525_600, 'The expected interval must be at most 525,600 minutes (a year)'),
})

const NewPracticeSchema = z.object({
  newPracticeOds: z
    .string()
    .trim()
    .toUpperCase()
    .regex(ODS_PRACTICE_PATTERN, 'Enter the practice ODS code: one letter and five digits, such as A81001'),
  newPracticeName: trimmed(200, 'Enter the practice name', 'The practice name is longer than 200 characters'),
})

export async function sourcesAction(args: Args) {
  const { access } = await requireAdmin(args)
  const form = await readForm(args.request)
  const intent = intentOf(form, ['add', 'enable', 'disable'])
  const db = access.db
  if (intent === 'add') {
    // The token is write-only: it is never sent back to the page, even when the form has errors.
    const values = {
      practice: text(form, 'practice'),
      newPracticeOds: text(form, 'newPracticeOds'),
      newPracticeName: text(form, 'newPracticeName'),
      name: text(form, 'name'),
      baseUrl: text(form, 'baseUrl'),
      expectedInterval: text(form, 'expectedInterval'),
    }
    const parsed = NewSourceSchema.safeParse({ ...values, token: text(form, 'token') })
    const errors = parsed.success ? {} : fieldErrors(parsed.error)
    let practiceId: number | null = null
    let newPractice: z.infer<typeof NewPracticeSchema> | null = null
    if (values.practice === 'new') {
      const p = NewPracticeSchema.safeParse(values)
      if (p.success) newPractice = p.data
      else Object.assign(errors, fieldErrors(p.error))
    } else {
      const known = (await listPractices(db)).find((p) => String(p.id) === values.practice)
      if (known) practiceId = known.id
      else errors.practice = 'Choose the practice whose system this is'
    }
    if (parsed.success && practiceId !== null && (await findFhirSource(db, practiceId, parsed.data.baseUrl))) {
      errors.baseUrl = 'This practice already has a source at this address'
    }
    if (!parsed.success || Object.keys(errors).length > 0) return failure(intent, errors, values)
    const s = parsed.data
    if (newPractice) {
      const practice = await ensurePractice(db, { odsCode: newPractice.newPracticeOds, name: newPractice.newPracticeName })
      practiceId = practice.id
      if (await findFhirSource(db, practiceId, s.baseUrl)) return failure(intent, { baseUrl: 'This practice already has a source at this address' }, values)
    }
    const row = await addSource(db, {
      practiceId,
      kind: 'fhir',
      name: s.name,
      baseUrl: s.baseUrl,
      token: s.token.trim() || null,
      expectedIntervalMinutes: s.expectedInterval,
    })
    await access.log('admin_source_add', {
      practiceId,
      target: `source:${row.id}`,
      detail: { name: row.name, baseUrl: row.base_url, tokenSet: !!row.token, expectedIntervalMinutes: row.expected_interval_minutes },
    })
    return redirect(`/admin/sources?notice=added&id=${row.id}`)
  }
  const sourceId = targetId(form, 'sourceId')
  const source = await getSource(db, sourceId)
  if (!source) throw new Response('There is no such source.', { status: 404 })
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
    ],
  })
}

// ---------------------------------------------------------------- agreements

export const DATA_LEVELS = [
  { value: 'identifiable', label: 'Identifiable' },
  { value: 'pseudonymised', label: 'Pseudonymised' },
  { value: 'anonymised', label: 'Anonymised' },
] as const

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
    practices: practices.map((p) => ({ id: p.id, odsCode: p.ods_code, name: p.name })),
    dataLevels: DATA_LEVELS,
    notice: subject ? `Added agreement ${subject.reference} with ${subject.recipientName}.` : null,
  }
}

const NewAgreementSchema = z
  .object({
    reference: trimmed(64, 'Enter the agreement reference, such as DSA-2026-014', 'The reference is longer than 64 characters'),
    dataLevel: z.enum(['identifiable', 'pseudonymised', 'anonymised'], { message: 'Choose the level of data the agreement allows' }),
    validFrom: isoDay,
    validTo: z.union([z.literal(''), isoDay]),
    description: z.string().trim().max(AGREEMENT_DESCRIPTION_LIMIT, 'The description is longer than 2,000 characters'),
  })
  .superRefine((a, ctx) => {
    if (a.validTo && a.validTo < a.validFrom) ctx.addIssue({ code: 'custom', path: ['validTo'], message: 'The end date must be on or after the start date' })
  })

const NewRecipientSchema = z.object({
  newRecipientName: trimmed(200, 'Enter the recipient organisation’s name', 'The name is longer than 200 characters'),
  newRecipientOds: z
    .string()
    .trim()
    .toUpperCase()
    .refine((v) => v === '' || /^[A-Z0-9]{3,10}$/.test(v), 'An ODS code is 3 to 10 letters and digits; leave it empty if the recipient has none'),
  newRecipientType: z.string().min(1, 'Choose the recipient type'),
})

export async function agreementsAction(args: Args) {
  const { access } = await requireAdmin(args)
  const form = await readForm(args.request)
  const intent = intentOf(form, ['add'])
  const db = access.db
  const values = {
    reference: text(form, 'reference'),
    recipient: text(form, 'recipient'),
    newRecipientName: text(form, 'newRecipientName'),
    newRecipientOds: text(form, 'newRecipientOds'),
    newRecipientType: text(form, 'newRecipientType'),
    purposes: texts(form, 'purposes'),
    dataLevel: text(form, 'dataLevel'),
    validFrom: text(form, 'validFrom'),
    validTo: text(form, 'validTo'),
    practices: texts(form, 'practices'),
    description: text(form, 'description'),
  }
  const parsed = NewAgreementSchema.safeParse(values)
  const errors = parsed.success ? {} : fieldErrors(parsed.error)

  const [purposes, practices, recipientTypes] = await Promise.all([listPurposes(db), listPractices(db), listRecipientTypes(db)])
  const allowedPurposes = new Set(purposes.filter((p) => !p.prohibited).map((p) => p.code))
  const chosenPurposes = [...new Set(values.purposes)]
  if (chosenPurposes.length === 0) errors.purposes = 'Choose at least one purpose the agreement covers'
  else if (chosenPurposes.some((p) => !allowedPurposes.has(p))) errors.purposes = 'Choose purposes from the list (marketing and insurance are never allowed)'
  const chosenPractices = practices.filter((p) => idList(form, 'practices').includes(p.id))
  if (chosenPractices.length === 0) errors.practices = 'Choose at least one practice that is party to the agreement'

  let recipientId: number | null = null
  let newRecipient: z.infer<typeof NewRecipientSchema> | null = null
  if (values.recipient === 'new') {
    const r = NewRecipientSchema.safeParse(values)
    if (!r.success) Object.assign(errors, fieldErrors(r.error))
    else if (!recipientTypes.some((t) => t.code === r.data.newRecipientType)) errors.newRecipientType = 'Choose the recipient type from the list'
    else newRecipient = r.data
  } else if (/^\d{1,9}$/.test(values.recipient) && (await organisationExists(db, Number(values.recipient)))) {
    recipientId = Number(values.recipient)
  } else {
    errors.recipient = 'Choose the recipient organisation, or "A new organisation" and give its details'
  }
  if (parsed.success && (await agreementReferenceExists(db, parsed.data.reference))) errors.reference = 'An agreement with this reference already exists'
  if (!parsed.success || Object.keys(errors).length > 0) return failure(intent, errors, values)

  const a = parsed.data
  if (newRecipient) {
    recipientId = await ensureOrganisation(db, {
      name: newRecipient.newRecipientName,
      odsCode: newRecipient.newRecipientOds || null,
      recipientType: newRecipient.newRecipientType,
    })
  }
  const { id, created } = await addAgreement(db, {
    reference: a.reference,
    recipientId: recipientId!,
    dataLevel: a.dataLevel,
    validFrom: a.validFrom,
    validTo: a.validTo || null,
    description: a.description || null,
    purposes: chosenPurposes,
    practiceIds: chosenPractices.map((p) => p.id),
    createdBy: access.viewer.id,
  })
  if (!created) return failure(intent, { reference: 'An agreement with this reference already exists' }, values)
  await access.log('admin_agreement_add', {
    practiceIds: chosenPractices.map((p) => p.id),
    target: `agreement:${id}`,
    detail: { reference: a.reference, recipientId, purposes: chosenPurposes, practices: chosenPractices.map((p) => p.ods_code), dataLevel: a.dataLevel },
  })
  await refreshFindingsAfterChange(access)
  return redirect(`/admin/agreements?notice=added&id=${id}`)
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

// ---------------------------------------------------------------- code mappings

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
  const form = await readForm(args.request)
  const intent = intentOf(form, ['purpose', 'choice'])
  const db = access.db
  const values = { system: text(form, 'system'), code: text(form, 'code'), purpose: text(form, 'purpose'), kind: text(form, 'kind'), decision: text(form, 'decision') }
  const parsed = CodeSchema.safeParse(values)
  const errors = parsed.success ? {} : fieldErrors(parsed.error)
  if (intent === 'purpose') {
    const purposes = await listPurposes(db)
    if (!purposes.some((p) => p.code === values.purpose)) errors.purpose = 'Choose the purpose this code means'
    if (parsed.success) {
      const existing = await existingPurposeMapping(db, parsed.data)
      if (existing) errors.code = `This code is already mapped to the purpose "${existing}"; mappings are not changed, because records already loaded were read with them`
    }
    if (!parsed.success || Object.keys(errors).length > 0) return failure(intent, errors, values)
    await addPurposeMapping(db, { ...parsed.data, purpose: values.purpose })
    await access.log('admin_code_map_add', { target: `purpose_code_map:${parsed.data.system}#${parsed.data.code}`, detail: { ...parsed.data, purpose: values.purpose } })
    return redirect(`/admin/codes?${new URLSearchParams({ notice: 'purpose', system: parsed.data.system, code: parsed.data.code })}`)
  }
  const kind = CHOICE_KINDS.find((k) => k.value === values.kind)?.value
  const decision = values.decision === 'deny' || values.decision === 'permit' ? values.decision : undefined
  if (!kind) errors.kind = 'Choose which choice this code records'
  if (!decision) errors.decision = 'Choose whether the code means the patient said no (opt-out) or yes'
  if (parsed.success) {
    const existing = await existingChoiceMapping(db, parsed.data)
    if (existing) errors.code = `This code is already mapped to ${existing.kind} ${existing.decision}; mappings are not changed, because records already loaded were read with them`
  }
  if (!parsed.success || !kind || !decision || Object.keys(errors).length > 0) return failure(intent, errors, values)
  await addChoiceMapping(db, { ...parsed.data, kind, decision })
  await access.log('admin_code_map_add', { target: `choice_code_map:${parsed.data.system}#${parsed.data.code}`, detail: { ...parsed.data, kind, decision } })
  return redirect(`/admin/codes?${new URLSearchParams({ notice: 'choice', system: parsed.data.system, code: parsed.data.code })}`)
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
