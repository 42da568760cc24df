import type { AppLoadContext } from '@remix-run/node'
import { z } from 'zod'
import { DATA_LEVELS, DataLevel } from '../../core/inputs.js'
import { listCodeLists } from '../../db/queries/codes.js'
import {
  countMatchingDisclosures,
  DISCLOSURE_SORTS,
  getAgreementReliedOn,
  getDisclosure,
  listDisclosures,
  listDisclosuresOfPatient,
  listOverridesOfPatient,
  listRecipientsInScope,
  NO_LEGAL_BASIS,
  sumDisclosuresByDataLevel,
  sumDisclosuresByLegalBasis,
  sumDisclosuresByPurpose,
  sumDisclosuresByPurposeAndRecipientType,
  sumDisclosuresByRecipient,
  sumProhibitedByRecipient,
  sumDisclosuresCube,
  type DisclosureFilter,
  type DisclosureListItem,
} from '../../db/queries/disclosures.js'
import { getDisclosureDayRange } from '../../db/queries/overview.js'
import type { Scope } from '../../db/queries/scope.js'
import { notFound, requirePractice, type Access } from './access.server.js'
import { csvExport, csvFileName } from './csv.server.js'
import { balpNdjson } from '../../reports/balp.js'
import { badRequest, readQuery } from './request.server.js'
import { requireScope } from './scope.server.js'
import { DATA_LEVEL_LABELS } from '../../core/labels.js'
import { prohibitedFirst } from './prohibited.js'

type Args = { request: Request; context: AppLoadContext; params?: Record<string, string | undefined> }

export const PAGE_SIZE = 50
/**
 * The most rows one CSV export may hold. Beyond it the export is refused (400) rather than cut
 * short: a disclosure log that silently stops at a limit could be taken for the complete one.
 */
export const CSV_MAX_ROWS = 100_000
/** How many of the patient's other disclosures and overrides a detail page lists. */
const PATIENT_CONTEXT_ROWS = 20

export { DATA_LEVEL_LABELS } from '../../core/labels.js'
const NO_LEGAL_BASIS_LABEL = 'None recorded'

const blank = (v: unknown) => (v === '' || v === null ? undefined : v)
const Code = z.string().regex(/^[a-z0-9_]{1,64}$/)

const FilterSchema = z.object({
  purpose: z.preprocess(blank, Code.optional()),
  recipientType: z.preprocess(blank, Code.optional()),
  recipient: z.preprocess(blank, z.coerce.number().int().positive().max(2_147_483_647).optional()),
  legalBasis: z.preprocess(blank, Code.optional()),
  dataLevel: z.preprocess(blank, DataLevel.optional()),
})

const ListSchema = z.object({
  sort: z.preprocess(blank, z.enum(DISCLOSURE_SORTS).default('occurred_at')),
  dir: z.preprocess(blank, z.enum(['asc', 'desc']).optional()),
  page: z.preprocess(blank, z.coerce.number().int().min(1).max(1_000_000).default(1)),
})

const FILTER_NAMES: Record<keyof z.infer<typeof FilterSchema>, string> = {
  purpose: 'purpose',
  recipientType: 'recipient type',
  recipient: 'recipient',
  legalBasis: 'legal basis',
  dataLevel: 'data level',
}

/** The code lists the filters choose from. Small reference tables, read per request. */
async function loadVocabulary(access: Access, scope: Scope) {
  const [{ purposes, recipientTypes, legalBases }, recipients] = await Promise.all([
    listCodeLists(access.db),
    listRecipientsInScope(access.db, scope),
  ])
  return {
    purposes: purposes.map((p) => ({ code: p.code, label: p.label })).sort((a, b) => a.label.localeCompare(b.label)),
    recipientTypes: recipientTypes.sort((a, b) => a.label.localeCompare(b.label)),
    legalBases: [
      ...legalBases.map((b) => ({ code: b.code, label: b.label })).sort((a, b) => a.label.localeCompare(b.label)),
      { code: NO_LEGAL_BASIS, label: NO_LEGAL_BASIS_LABEL },
    ],
    dataLevels: DATA_LEVELS.map((code) => ({ code, label: DATA_LEVEL_LABELS[code] })),
    recipients: recipients.map((r) => ({ id: r.id, label: r.odsCode ? `${r.name} (${r.odsCode})` : r.name })),
  }
}
type Vocabulary = Awaited<ReturnType<typeof loadVocabulary>>

/** A filter the page shows as "Purpose: Research", with the parameter to drop to remove it. */
export interface ActiveFilter {
  param: string
  name: string
  label: string
}

/**
 * Reads ?purpose=&recipientType=&recipient=&legalBasis=&dataLevel=. A code that is not in its
 * list is a 400 that names the field. A recipient id with no disclosures in view is allowed (it
 * simply matches nothing: links stay valid when the period changes) but is shown only by number.
 */
function readFilter(url: URL, vocabulary: Vocabulary): { filter: DisclosureFilter; form: Record<string, string>; active: ActiveFilter[] } {
  const f = readQuery(url, FilterSchema, ['purpose', 'recipientType', 'recipient', 'legalBasis', 'dataLevel'], (issue) => {
    const field = FILTER_NAMES[issue.path[0] as keyof typeof FILTER_NAMES] ?? 'filters'
    return `The ${field} filter is not valid: choose a ${field} from the list.`
  })
  const active: ActiveFilter[] = []
  const check = <T extends { code: string; label: string }>(value: string | undefined, list: T[], param: string, name: string) => {
    if (value === undefined) return
    const found = list.find((x) => x.code === value)
    if (!found)
      throw badRequest(`The ${name} filter is not valid: "${value}" is not a ${name} this service knows. Choose one from the list.`)
    active.push({ param, name: name[0]!.toUpperCase() + name.slice(1), label: found.label })
  }
  check(f.purpose, vocabulary.purposes, 'purpose', 'purpose')
  check(f.recipientType, vocabulary.recipientTypes, 'recipientType', 'recipient type')
  if (f.recipient !== undefined) {
    const known = vocabulary.recipients.find((r) => r.id === f.recipient)
    active.push({ param: 'recipient', name: 'Recipient', label: known?.label ?? `Recipient no. ${f.recipient} (none in this period)` })
  }
  check(f.legalBasis, vocabulary.legalBases, 'legalBasis', 'legal basis')
  check(f.dataLevel, vocabulary.dataLevels, 'dataLevel', 'data level')
  const form: Record<string, string> = {}
  for (const [key, value] of Object.entries(f)) if (value !== undefined) form[key] = String(value)
  return {
    filter: {
      purpose: f.purpose,
      recipientType: f.recipientType,
      recipientId: f.recipient,
      legalBasis: f.legalBasis,
      dataLevel: f.dataLevel,
    },
    form,
    active,
  }
}

async function readScopeAndFilter(args: Args) {
  const { access, scope } = await requireScope(args)
  const url = new URL(args.request.url)
  const vocabulary = await loadVocabulary(access, scope)
  return { access, scope, url, vocabulary, ...readFilter(url, vocabulary) }
}

function readListOptions(url: URL) {
  const options = readQuery(
    url,
    ListSchema,
    ['sort', 'dir', 'page'],
    'The list options are not valid: sort by "occurred_at", "purpose" or "recipient", direction "asc" or "desc", and a page number of 1 or more.',
  )
  const { sort, page } = options
  // Newest first by default; names read A to Z.
  const dir = options.dir ?? (sort === 'occurred_at' ? 'desc' : 'asc')
  return { sort, dir, page }
}

// ---- /disclosures -----------------------------------------------------------------------

export async function getDisclosureSummary(args: Args) {
  const { access, scope, vocabulary, filter, form, active } = await readScopeAndFilter(args)
  const db = access.db
  const [collected, purposeTotals, recipientTotals, cells, byLegalBasis, byDataLevel, prohibitedTo] = await Promise.all([
    getDisclosureDayRange(db, scope),
    sumDisclosuresByPurpose(db, scope, filter),
    sumDisclosuresByRecipient(db, scope, filter),
    sumDisclosuresByPurposeAndRecipientType(db, scope, filter),
    sumDisclosuresByLegalBasis(db, scope, filter),
    sumDisclosuresByDataLevel(db, scope, filter),
    sumProhibitedByRecipient(db, scope, filter),
  ])
  const total = purposeTotals.reduce((n, p) => n + p.disclosures, 0)
  const byPurpose = prohibitedFirst(purposeTotals, (p) => p.prohibited)
  const byRecipient = withProhibited(recipientTotals, prohibitedTo)
  return {
    period: { from: scope.from, to: scope.to },
    form,
    active,
    vocabulary,
    collected,
    total,
    csvLimit: CSV_MAX_ROWS,
    byPurpose,
    byRecipient,
    matrix: buildMatrix(cells, byPurpose, vocabulary),
    byLegalBasis: byLegalBasis.map((b) => ({
      ...b,
      label: b.legalBasis === NO_LEGAL_BASIS ? NO_LEGAL_BASIS_LABEL : (b.label ?? b.legalBasis),
    })),
    byDataLevel: byDataLevel.map((d) => ({ ...d, label: DATA_LEVEL_LABELS[d.dataLevel] })),
  }
}

/**
 * Recipients (most used first) with their disclosures for a prohibited purpose; those that
 * received any come first. The overview and /disclosures both use it.
 */
export function withProhibited<T extends { recipientId: number }>(
  recipients: T[],
  prohibitedTo: Array<{ recipientId: number; disclosures: number }>,
) {
  const prohibited = new Map(prohibitedTo.map((r) => [r.recipientId, r.disclosures]))
  return prohibitedFirst(
    recipients.map((r) => ({ ...r, prohibitedDisclosures: prohibited.get(r.recipientId) ?? 0 })),
    (r) => r.prohibitedDisclosures > 0,
  )
}

/**
 * Rows: purposes, prohibited ones first, then most used first. Columns: recipient types that
 * received a prohibited purpose first, then most used first (so they are not lost off the
 * right of a wide table). Zero cells left out.
 */
function buildMatrix(
  cells: Array<{ purpose: string; recipientType: string; disclosures: number }>,
  byPurpose: Array<{ purpose: string; label: string; prohibited: boolean }>,
  vocabulary: Vocabulary,
) {
  const columnTotals = new Map<string, number>()
  for (const c of cells) columnTotals.set(c.recipientType, (columnTotals.get(c.recipientType) ?? 0) + c.disclosures)
  const prohibitedPurposes = new Set(byPurpose.filter((p) => p.prohibited).map((p) => p.purpose))
  const prohibitedTypes = new Set(cells.filter((c) => prohibitedPurposes.has(c.purpose)).map((c) => c.recipientType))
  const typeLabel = new Map(vocabulary.recipientTypes.map((t) => [t.code, t.label]))
  const columns = prohibitedFirst(
    [...columnTotals.entries()]
      .map(([code, total]) => ({ code, label: typeLabel.get(code) ?? code, total, prohibited: prohibitedTypes.has(code) }))
      .sort((a, b) => b.total - a.total || a.label.localeCompare(b.label)),
    (c) => c.prohibited,
  )
  const rows = byPurpose.map((p) => {
    const mine = cells.filter((c) => c.purpose === p.purpose)
    return {
      purpose: p.purpose,
      label: p.label,
      prohibited: p.prohibited,
      total: mine.reduce((n, c) => n + c.disclosures, 0),
      counts: columns.map((col) => mine.find((c) => c.recipientType === col.code)?.disclosures ?? 0),
    }
  })
  return { columns, rows }
}

export async function exportDisclosureSummary(args: Args) {
  const { access, scope, url, vocabulary, filter } = await readScopeAndFilter(args)
  const rows = await sumDisclosuresCube(access.db, scope, filter)
  const purposeLabel = new Map(vocabulary.purposes.map((p) => [p.code, p.label]))
  const typeLabel = new Map(vocabulary.recipientTypes.map((t) => [t.code, t.label]))
  return csvExport(access, {
    name: 'disclosure-summary',
    url,
    rows,
    columns: [
      { header: 'purpose', value: (r) => r.purpose },
      { header: 'purpose_label', value: (r) => purposeLabel.get(r.purpose) },
      { header: 'recipient_type', value: (r) => r.recipientType },
      { header: 'recipient_type_label', value: (r) => typeLabel.get(r.recipientType) },
      { header: 'recipient_id', value: (r) => r.recipientId },
      { header: 'recipient', value: (r) => r.recipientName },
      { header: 'recipient_ods', value: (r) => r.recipientOds },
      { header: 'legal_basis', value: (r) => r.legalBasis },
      { header: 'data_level', value: (r) => r.dataLevel },
      { header: 'disclosures', value: (r) => r.disclosures },
    ],
  })
}

// ---- /disclosures/list and /disclosures.csv ---------------------------------------------

export async function getDisclosureList(args: Args) {
  const { access, scope, url, vocabulary, filter, form, active } = await readScopeAndFilter(args)
  const { sort, dir, page } = readListOptions(url)
  const [total, rows] = await Promise.all([
    countMatchingDisclosures(access.db, scope, filter),
    listDisclosures(access.db, scope, filter, { sort, dir, limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE }),
  ])
  // A page of individual disclosures shows patients: recorded, with the pseudonyms it showed (issue 17).
  const patients = [...new Set(rows.map((r) => r.patientPseudonym))]
  await access.log('view_disclosure_list', {
    practiceIds: scope.practiceIds,
    target: `disclosures:page-${page}`,
    detail: { patients, rows: rows.length, from: scope.from ?? null, to: scope.to ?? null },
  })
  return {
    period: { from: scope.from, to: scope.to },
    form,
    active,
    vocabulary,
    sort,
    dir,
    page,
    pageSize: PAGE_SIZE,
    pages: Math.max(1, Math.ceil(total / PAGE_SIZE)),
    total,
    csvLimit: CSV_MAX_ROWS,
    rows: rows.map((r) => ({ ...r, dataLevelLabel: DATA_LEVEL_LABELS[r.dataLevel] })),
  }
}

export async function exportDisclosureList(args: Args) {
  const { access, scope, url, filter } = await readScopeAndFilter(args)
  const { sort, dir } = readListOptions(url)
  const total = await countMatchingDisclosures(access.db, scope, filter)
  if (total > CSV_MAX_ROWS) {
    throw badRequest(
      `These filters match ${total.toLocaleString('en-GB')} disclosures; one CSV file can hold at most ${CSV_MAX_ROWS.toLocaleString('en-GB')}. Choose a shorter period or more filters and download again.`,
    )
  }
  const rows = await listDisclosures(access.db, scope, filter, { sort, dir, limit: CSV_MAX_ROWS, offset: 0 })
  return csvExport<DisclosureListItem>(access, {
    name: 'disclosures',
    url,
    rows,
    columns: [
      { header: 'id', value: (r) => r.id },
      { header: 'occurred_at', value: (r) => r.occurredAt },
      { header: 'occurred_at_uk', value: (r) => ukDateTime(r.occurredAt) },
      { header: 'practice', value: (r) => r.practiceOds },
      { header: 'patient_pseudonym', value: (r) => r.patientPseudonym },
      { header: 'recipient_id', value: (r) => r.recipientId },
      { header: 'recipient', value: (r) => r.recipientName },
      { header: 'recipient_ods', value: (r) => r.recipientOds },
      { header: 'recipient_type', value: (r) => r.recipientType },
      { header: 'purpose', value: (r) => r.purpose },
      { header: 'legal_basis', value: (r) => r.legalBasis },
      { header: 'data_level', value: (r) => r.dataLevel },
      { header: 'data_description', value: (r) => r.dataDescription },
    ],
  })
}

/**
 * /disclosures.ndjson: the disclosures the page counts, for the same filters, as IHE BALP
 * PrivacyDisclosure AuditEvents, one per line (docs/decisions/037). Streamed from one cursor as
 * the browser reads, so it has no row limit; logged like a CSV before the first byte leaves.
 */
export async function exportDisclosuresBalp(args: Args) {
  const { access, scope, url, filter } = await readScopeAndFilter(args)
  const total = await countMatchingDisclosures(access.db, scope, filter)
  await access.log('export', {
    practiceIds: access.practiceIds,
    target: url.pathname,
    detail: { filters: Object.fromEntries(url.searchParams), rows: total, format: 'balp' },
  })
  const chunks = balpNdjson(access.db, scope, filter)
  const encoder = new TextEncoder()
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await chunks.next()
      if (next.done) controller.close()
      else controller.enqueue(encoder.encode(next.value.text))
    },
    // The browser went away: close the cursor and its transaction.
    async cancel() {
      await chunks.return(undefined)
    },
  })
  return new Response(body, {
    headers: {
      'Content-Type': 'application/fhir+ndjson; charset=utf-8',
      'Content-Disposition': `attachment; filename="${csvFileName(access, 'disclosures-balp', url).replace(/\.csv$/, '.ndjson')}"`,
      'Cache-Control': 'no-store',
    },
  })
}

const UK_TIME = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
})

/** '2026-04-01 00:30:00' in England's clock time: sortable, and a spreadsheet reads it as a date. */
function ukDateTime(instant: Date): string {
  const part = Object.fromEntries(UK_TIME.formatToParts(instant).map((p) => [p.type, p.value]))
  return `${part.year}-${part.month}-${part.day} ${part.hour}:${part.minute}:${part.second}`
}

// ---- /disclosures/:id -------------------------------------------------------------------

export async function getDisclosurePage(args: Args) {
  const { access } = await requireScope(args)
  const raw = args.params?.id ?? ''
  if (!/^[1-9][0-9]{0,15}$/.test(raw)) throw notFound()
  const id = Number(raw)
  const disclosure = await getDisclosure(access.db, id)
  if (!disclosure) throw notFound()
  requirePractice(access, disclosure.practiceId)
  // ?practice= narrows what this request may read: a record of another practice is not here.
  if (!access.practiceIds.includes(disclosure.practiceId)) throw notFound()
  // Looking at a patient's records is itself recorded: "who looked at this patient's sharing" (issue 17).
  await access.log('view_disclosure', {
    practiceId: disclosure.practiceId,
    target: `disclosure:${id}`,
    detail: { patient: disclosure.patientPseudonym },
  })
  // The patient's other events: every date, but only in the practices this request may read.
  const patientScope: Scope = { practiceIds: access.practiceIds }
  const [agreement, others, overrides] = await Promise.all([
    disclosure.agreementId === null ? undefined : getAgreementReliedOn(access.db, id),
    listDisclosuresOfPatient(access.db, patientScope, disclosure.patientPseudonym, { exceptId: id, limit: PATIENT_CONTEXT_ROWS }),
    listOverridesOfPatient(access.db, patientScope, disclosure.patientPseudonym, { limit: PATIENT_CONTEXT_ROWS }),
  ])
  return {
    disclosure: { ...disclosure, dataLevelLabel: DATA_LEVEL_LABELS[disclosure.dataLevel] },
    agreement: agreement ? { ...agreement, dataLevelLabel: DATA_LEVEL_LABELS[agreement.dataLevel] } : null,
    others,
    overrides,
  }
}
