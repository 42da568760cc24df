import type { Knex } from 'knex'
import { planOnce, type Db } from '../client.js'
import type { RollupDimension } from '../rollups.js'
import { rollupRows, type RollupFilter } from './rollup-source.js'
import { whereScopeInstants, type Scope } from './scope.js'

// The disclosures pages. Aggregates (by purpose, recipient, legal basis, the purpose x recipient
// type matrix) read the roll-ups through rollupRows (the smallest that can answer), never the raw table;
// the list, its count, the CSV and the detail read raw rows through the (practice_id,
// occurred_at) index with whereScopeInstants. Every function takes a Scope.

export const DATA_LEVELS = ['identifiable', 'pseudonymised', 'anonymised'] as const
export type DataLevel = (typeof DATA_LEVELS)[number]

/** The legal-basis filter value for "the source gave none" (stored as NULL, '' in the roll-up). */
export const NO_LEGAL_BASIS = 'none'

export interface DisclosureFilter {
  purpose?: string
  recipientType?: string
  recipientId?: number
  /** A legal_bases code, or NO_LEGAL_BASIS. */
  legalBasis?: string
  dataLevel?: DataLevel
}

export const DISCLOSURE_SORTS = ['occurred_at', 'purpose', 'recipient'] as const
export type DisclosureSort = (typeof DISCLOSURE_SORTS)[number]
export type SortDirection = 'asc' | 'desc'

// ---- Aggregates from the roll-up ----------------------------------------------------------

/**
 * Roll-up rows ("dd") with the dimensions a query groups by, after the page's filters. Planned
 * once per connection (decision 045): the roll-ups' best plan does not turn on the period.
 */
function rollup(db: Db, scope: Scope, filter: DisclosureFilter, dims: RollupDimension[], purposes?: Knex.Raw): Knex.QueryBuilder {
  const f: RollupFilter = {}
  if (filter.purpose) f.purpose = filter.purpose
  if (filter.recipientType) f.recipient_type = filter.recipientType
  if (filter.recipientId !== undefined) f.recipient_id = filter.recipientId
  if (filter.legalBasis) f.legal_basis = filter.legalBasis === NO_LEGAL_BASIS ? '' : filter.legalBasis
  if (filter.dataLevel) f.data_level = filter.dataLevel
  if (purposes) f.purpose = purposes
  return planOnce(db.from(rollupRows(db, scope, dims, f)))
}

export interface PurposeTotal {
  purpose: string
  label: string
  prohibited: boolean
  disclosures: number
}

/** Most-used purpose first. */
export async function sumDisclosuresByPurpose(db: Db, scope: Scope, filter: DisclosureFilter = {}): Promise<PurposeTotal[]> {
  const rows = await rollup(db, scope, filter, ['purpose'])
    .join('purposes as p', 'p.code', 'dd.purpose')
    .groupBy('p.code', 'p.label', 'p.prohibited')
    .select('p.code as purpose', 'p.label', 'p.prohibited')
    .sum('dd.disclosures as disclosures')
    .orderBy([{ column: 'disclosures', order: 'desc' }, { column: 'p.label' }])
  return rows.map((r: PurposeTotal) => ({ ...r, disclosures: Number(r.disclosures) }))
}

export interface RecipientTotal {
  recipientId: number
  name: string
  odsCode: string | null
  recipientType: string
  recipientTypeLabel: string
  disclosures: number
}

/** Most-used recipient first, with its type. */
export async function sumDisclosuresByRecipient(db: Db, scope: Scope, filter: DisclosureFilter = {}): Promise<RecipientTotal[]> {
  const rows = await rollup(db, scope, filter, ['recipient_id'])
    .join('organisations as o', 'o.id', 'dd.recipient_id')
    .join('recipient_types as rt', 'rt.code', 'o.recipient_type')
    .groupBy('o.id', 'o.name', 'o.ods_code', 'rt.code', 'rt.label')
    .select('o.id as recipientId', 'o.name', 'o.ods_code as odsCode', 'rt.code as recipientType', 'rt.label as recipientTypeLabel')
    .sum('dd.disclosures as disclosures')
    .orderBy([{ column: 'disclosures', order: 'desc' }, { column: 'o.name' }, { column: 'o.id' }])
  return rows.map((r: RecipientTotal) => ({ ...r, disclosures: Number(r.disclosures) }))
}

/**
 * Disclosures for a prohibited purpose (marketing, insurance) per recipient id: the pages name
 * those recipients first and tag them. Only recipients with any are listed. The prohibited
 * purposes filter the roll-up rows through an index: no narrow roll-up holds purpose and
 * recipient together, and reading the whole daily cube for the period took 23 ms of every
 * overview at 10M.
 */
export async function sumProhibitedByRecipient(
  db: Db,
  scope: Scope,
  filter: DisclosureFilter = {},
): Promise<Array<{ recipientId: number; disclosures: number }>> {
  // The prohibited codes as an array subquery (an InitPlan), so the index takes them as values
  // without a round trip of their own: each query costs a page a round trip.
  const prohibited = filter.purpose
    ? db.raw('ANY(ARRAY(SELECT code FROM purposes WHERE prohibited AND code = ?))', [filter.purpose])
    : db.raw('ANY(ARRAY(SELECT code FROM purposes WHERE prohibited))')
  const rows = await rollup(db, scope, filter, ['recipient_id'], prohibited)
    .groupBy('dd.recipient_id')
    .select('dd.recipient_id as recipientId')
    .sum('dd.disclosures as disclosures')
  return rows.map((r: { recipientId: number; disclosures: number }) => ({
    recipientId: Number(r.recipientId),
    disclosures: Number(r.disclosures),
  }))
}

export interface MatrixCell {
  purpose: string
  recipientType: string
  disclosures: number
}

/** Non-zero cells of the purpose x recipient type matrix. */
export async function sumDisclosuresByPurposeAndRecipientType(db: Db, scope: Scope, filter: DisclosureFilter = {}): Promise<MatrixCell[]> {
  const rows = await rollup(db, scope, filter, ['purpose', 'recipient_type'])
    .groupBy('dd.purpose', 'dd.recipient_type')
    .select('dd.purpose as purpose', 'dd.recipient_type as recipientType')
    .sum('dd.disclosures as disclosures')
    .orderBy(['dd.purpose', 'dd.recipient_type'])
  return rows.map((r: MatrixCell) => ({ ...r, disclosures: Number(r.disclosures) }))
}

export interface LegalBasisTotal {
  /** A legal_bases code, or NO_LEGAL_BASIS. */
  legalBasis: string
  label: string | null
  disclosures: number
}

/** Most-used legal basis first; disclosures with none recorded are one row, NO_LEGAL_BASIS. */
export async function sumDisclosuresByLegalBasis(db: Db, scope: Scope, filter: DisclosureFilter = {}): Promise<LegalBasisTotal[]> {
  const rows = await rollup(db, scope, filter, ['legal_basis'])
    .leftJoin('legal_bases as lb', 'lb.code', 'dd.legal_basis')
    .groupBy('dd.legal_basis', 'lb.label')
    .select('dd.legal_basis as legalBasis', 'lb.label')
    .sum('dd.disclosures as disclosures')
    .orderBy([{ column: 'disclosures', order: 'desc' }, { column: 'dd.legal_basis' }])
  return rows.map((r: LegalBasisTotal) => ({
    legalBasis: r.legalBasis || NO_LEGAL_BASIS,
    label: r.label,
    disclosures: Number(r.disclosures),
  }))
}

/** Disclosures per data level, in the order identifiable, pseudonymised, anonymised. */
export async function sumDisclosuresByDataLevel(
  db: Db,
  scope: Scope,
  filter: DisclosureFilter = {},
): Promise<Array<{ dataLevel: DataLevel; disclosures: number }>> {
  const rows = await rollup(db, scope, filter, ['data_level'])
    .groupBy('dd.data_level')
    .select('dd.data_level as dataLevel')
    .sum('dd.disclosures as disclosures')
  return rows
    .map((r: { dataLevel: DataLevel; disclosures: number }) => ({ dataLevel: r.dataLevel, disclosures: Number(r.disclosures) }))
    .sort((a: { dataLevel: DataLevel }, b: { dataLevel: DataLevel }) => DATA_LEVELS.indexOf(a.dataLevel) - DATA_LEVELS.indexOf(b.dataLevel))
}

export interface SummaryCubeRow {
  purpose: string
  recipientId: number
  recipientName: string
  recipientOds: string | null
  recipientType: string
  legalBasis: string
  dataLevel: DataLevel
  disclosures: number
}

/** Every non-zero combination of purpose, recipient, legal basis and data level: the summary CSV. */
export async function sumDisclosuresCube(db: Db, scope: Scope, filter: DisclosureFilter = {}): Promise<SummaryCubeRow[]> {
  const rows = await rollup(db, scope, filter, ['purpose', 'recipient_id', 'legal_basis', 'data_level'])
    .join('organisations as o', 'o.id', 'dd.recipient_id')
    .groupBy('dd.purpose', 'o.id', 'o.name', 'o.ods_code', 'o.recipient_type', 'dd.legal_basis', 'dd.data_level')
    .select(
      'dd.purpose as purpose',
      'o.id as recipientId',
      'o.name as recipientName',
      'o.ods_code as recipientOds',
      'o.recipient_type as recipientType',
      'dd.legal_basis as legalBasis',
      'dd.data_level as dataLevel',
    )
    .sum('dd.disclosures as disclosures')
    .orderBy(['dd.purpose', 'o.name', 'o.id', 'dd.legal_basis', 'dd.data_level'])
  return rows.map((r: SummaryCubeRow) => ({ ...r, legalBasis: r.legalBasis || NO_LEGAL_BASIS, disclosures: Number(r.disclosures) }))
}

/** Recipients with any disclosure in the scope's practices (for the recipient filter), by name. */
export async function listRecipientsInScope(
  db: Db,
  scope: Scope,
): Promise<Array<{ id: number; name: string; odsCode: string | null; recipientType: string }>> {
  return planOnce(
    db
      .from(rollupRows(db, scope, ['recipient_id']))
      .join('organisations as o', 'o.id', 'dd.recipient_id')
      .distinct('o.id', 'o.name', 'o.ods_code as odsCode', 'o.recipient_type as recipientType')
      .orderBy(['o.name', 'o.id']),
  )
}

// ---- Individual disclosures ----------------------------------------------------------------

export interface DisclosureListItem {
  id: number
  occurredAt: Date
  practiceOds: string
  patientPseudonym: string
  recipientId: number
  recipientName: string
  recipientOds: string | null
  recipientType: string
  recipientTypeLabel: string
  purpose: string
  purposeLabel: string
  legalBasis: string | null
  legalBasisLabel: string | null
  dataLevel: DataLevel
  dataDescription: string | null
}

/** Raw disclosures ("d", with their recipient "o") in scope that pass the page's filters: the list, the CSV and the BALP export. */
export function rawRows(db: Db, scope: Scope, filter: DisclosureFilter): Knex.QueryBuilder {
  const q = whereScopeInstants(db('disclosures as d'), scope, 'd.practice_id', 'd.occurred_at').join(
    'organisations as o',
    'o.id',
    'd.recipient_id',
  )
  if (filter.purpose) q.where('d.purpose', filter.purpose)
  if (filter.recipientType) q.where('o.recipient_type', filter.recipientType)
  if (filter.recipientId !== undefined) q.where('d.recipient_id', filter.recipientId)
  if (filter.legalBasis === NO_LEGAL_BASIS) q.whereNull('d.legal_basis')
  else if (filter.legalBasis) q.where('d.legal_basis', filter.legalBasis)
  if (filter.dataLevel) q.where('d.data_level', filter.dataLevel)
  return q
}

// Whitelisted sort keys -> columns; d.id last makes the order total, so pages never overlap.
const SORT_COLUMNS: Record<DisclosureSort, string[]> = {
  occurred_at: ['d.occurred_at'],
  purpose: ['p.label', 'd.occurred_at'],
  recipient: ['o.name', 'd.occurred_at'],
}

export async function listDisclosures(
  db: Db,
  scope: Scope,
  filter: DisclosureFilter,
  options: { sort: DisclosureSort; dir: SortDirection; limit: number; offset: number },
): Promise<DisclosureListItem[]> {
  const [first, ...rest] = SORT_COLUMNS[options.sort]
  // The first column follows the chosen direction; ties fall back to newest first.
  const order = [
    { column: first!, order: options.dir },
    ...rest.map((column) => ({ column, order: 'desc' as const })),
    { column: 'd.id', order: options.sort === 'occurred_at' ? options.dir : ('desc' as const) },
  ]
  return rawRows(db, scope, filter)
    .join('practices as pr', 'pr.id', 'd.practice_id')
    .join('recipient_types as rt', 'rt.code', 'o.recipient_type')
    .join('purposes as p', 'p.code', 'd.purpose')
    .leftJoin('legal_bases as lb', 'lb.code', 'd.legal_basis')
    .select(
      'd.id',
      'd.occurred_at as occurredAt',
      'pr.ods_code as practiceOds',
      'd.patient_pseudonym as patientPseudonym',
      'o.id as recipientId',
      'o.name as recipientName',
      'o.ods_code as recipientOds',
      'rt.code as recipientType',
      'rt.label as recipientTypeLabel',
      'd.purpose',
      'p.label as purposeLabel',
      'd.legal_basis as legalBasis',
      'lb.label as legalBasisLabel',
      'd.data_level as dataLevel',
      'd.data_description as dataDescription',
    )
    .orderBy(order)
    .limit(options.limit)
    .offset(options.offset)
}

/**
 * Exact count of the disclosures listDisclosures pages through. Every filter is a roll-up
 * dimension, so the roll-ups answer it (test/integration/perf/rollup-equality.test.ts).
 */
export async function countMatchingDisclosures(db: Db, scope: Scope, filter: DisclosureFilter): Promise<number> {
  const row = await rollup(db, scope, filter, []).sum('dd.disclosures as n').first()
  return Number(row?.n ?? 0)
}

export interface DisclosureDetail extends DisclosureListItem {
  practiceId: number
  practiceName: string
  purposeCode: string | null
  disclosedByRole: string | null
  disclosedBy: string | null
  sourceId: number
  sourceName: string
  sourceKind: string
  sourceRecordId: string
  sourceVersion: string | null
  collectedAt: Date
  runId: number | null
  runJobName: string | null
  runStartedAt: Date | null
  agreementId: number | null
}

/**
 * One disclosure with where it came from. Not limited by scope here: the caller must check
 * practiceId against the viewer's practices (requirePractice) before showing anything.
 */
export async function getDisclosure(db: Db, id: number): Promise<DisclosureDetail | undefined> {
  return db('disclosures as d')
    .join('practices as pr', 'pr.id', 'd.practice_id')
    .join('organisations as o', 'o.id', 'd.recipient_id')
    .join('recipient_types as rt', 'rt.code', 'o.recipient_type')
    .join('purposes as p', 'p.code', 'd.purpose')
    .join('sources as s', 's.id', 'd.source_id')
    .leftJoin('legal_bases as lb', 'lb.code', 'd.legal_basis')
    .leftJoin('job_runs as r', 'r.id', 'd.run_id')
    .where('d.id', id)
    .first(
      'd.id',
      'd.occurred_at as occurredAt',
      'd.practice_id as practiceId',
      'pr.ods_code as practiceOds',
      'pr.name as practiceName',
      'd.patient_pseudonym as patientPseudonym',
      'o.id as recipientId',
      'o.name as recipientName',
      'o.ods_code as recipientOds',
      'rt.code as recipientType',
      'rt.label as recipientTypeLabel',
      'd.purpose',
      'p.label as purposeLabel',
      'd.purpose_code as purposeCode',
      'd.legal_basis as legalBasis',
      'lb.label as legalBasisLabel',
      'd.data_level as dataLevel',
      'd.data_description as dataDescription',
      'd.disclosed_by_role as disclosedByRole',
      'd.disclosed_by as disclosedBy',
      's.id as sourceId',
      's.name as sourceName',
      's.kind as sourceKind',
      'd.source_record_id as sourceRecordId',
      'd.source_version as sourceVersion',
      'd.collected_at as collectedAt',
      'd.run_id as runId',
      'r.job_name as runJobName',
      'r.started_at as runStartedAt',
      'd.agreement_id as agreementId',
    )
}

export interface AgreementReliedOn {
  id: number
  reference: string
  recipientName: string
  dataLevel: DataLevel
  validFrom: string
  validTo: string | null
  description: string | null
  /** Labels of the purposes the agreement lists. */
  purposes: string[]
  /** Whether the agreement, as recorded, covers this disclosure's recipient, purpose, practice and day. */
  sameRecipient: boolean
  coversPurpose: boolean
  coversPractice: boolean
  inForce: boolean
}

/** The data sharing agreement a disclosure names (agreement_id), with whether it actually covers it. */
export async function getAgreementReliedOn(db: Db, disclosureId: number): Promise<AgreementReliedOn | undefined> {
  const { rows } = await db.raw(
    `SELECT a.id, a.reference, o.name AS "recipientName", a.data_level AS "dataLevel",
            a.valid_from AS "validFrom", a.valid_to AS "validTo", a.description,
            coalesce((SELECT array_agg(p.label ORDER BY p.label) FROM agreement_purposes ap JOIN purposes p ON p.code = ap.purpose
                       WHERE ap.agreement_id = a.id), '{}') AS purposes,
            a.recipient_id = d.recipient_id AS "sameRecipient",
            EXISTS (SELECT 1 FROM agreement_purposes ap WHERE ap.agreement_id = a.id AND ap.purpose = d.purpose) AS "coversPurpose",
            EXISTS (SELECT 1 FROM agreement_practices ag WHERE ag.agreement_id = a.id AND ag.practice_id = d.practice_id) AS "coversPractice",
            (d.occurred_at AT TIME ZONE 'Europe/London')::date BETWEEN a.valid_from AND coalesce(a.valid_to, 'infinity'::date) AS "inForce"
       FROM disclosures d
       JOIN data_sharing_agreements a ON a.id = d.agreement_id
       JOIN organisations o ON o.id = a.recipient_id
      WHERE d.id = ?`,
    [disclosureId],
  )
  return rows[0]
}

export interface PatientDisclosure {
  id: number
  occurredAt: Date
  practiceOds: string
  recipientName: string
  purposeLabel: string
}

/** Other disclosures of one pseudonym in the scope's practices, newest first, and how many there are. */
export async function listDisclosuresOfPatient(
  db: Db,
  scope: Scope,
  pseudonym: string,
  options: { exceptId?: number; limit: number },
): Promise<{ items: PatientDisclosure[]; total: number }> {
  const base = () => {
    const q = whereScopeInstants(db('disclosures as d'), scope, 'd.practice_id', 'd.occurred_at').where('d.patient_pseudonym', pseudonym)
    if (options.exceptId !== undefined) q.whereNot('d.id', options.exceptId)
    return q
  }
  const [items, count] = await Promise.all([
    base()
      .join('practices as pr', 'pr.id', 'd.practice_id')
      .join('organisations as o', 'o.id', 'd.recipient_id')
      .join('purposes as p', 'p.code', 'd.purpose')
      .select('d.id', 'd.occurred_at as occurredAt', 'pr.ods_code as practiceOds', 'o.name as recipientName', 'p.label as purposeLabel')
      .orderBy([
        { column: 'd.occurred_at', order: 'desc' },
        { column: 'd.id', order: 'desc' },
      ])
      .limit(options.limit),
    base().count('* as n').first(),
  ])
  return { items, total: Number(count?.n ?? 0) }
}

export interface PatientOverride {
  id: number
  occurredAt: Date
  practiceOds: string
  kind: 'break_glass' | 'consent_override' | 'override_stopped'
  reasonCode: string | null
  reviewed: boolean
}

/**
 * Override events of one pseudonym in the scope's practices, newest first, for a disclosure's
 * context (the override pages own the events themselves).
 */
export async function listOverridesOfPatient(
  db: Db,
  scope: Scope,
  pseudonym: string,
  options: { limit: number },
): Promise<{ items: PatientOverride[]; total: number }> {
  const base = () =>
    whereScopeInstants(db('override_events as e'), scope, 'e.practice_id', 'e.occurred_at').where('e.patient_pseudonym', pseudonym)
  const [items, count] = await Promise.all([
    base()
      .join('practices as pr', 'pr.id', 'e.practice_id')
      .select(
        'e.id',
        'e.occurred_at as occurredAt',
        'pr.ods_code as practiceOds',
        'e.kind',
        'e.reason_code as reasonCode',
        db.raw('EXISTS (SELECT 1 FROM override_reviews r WHERE r.override_event_id = e.id) AS reviewed'),
      )
      .orderBy([
        { column: 'e.occurred_at', order: 'desc' },
        { column: 'e.id', order: 'desc' },
      ])
      .limit(options.limit),
    base().count('* as n').first(),
  ])
  return { items, total: Number(count?.n ?? 0) }
}
