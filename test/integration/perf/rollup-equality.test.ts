import type { Knex } from 'knex'
import { describe, expect, it } from 'vitest'
import {
  countDisclosuresByPurpose as countDisclosuresByPurposeOverview,
  countDisclosures,
  countDisclosuresByRecipient as countDisclosuresByRecipientOverview,
  countPatientsAffected,
  disclosureTrend,
} from '../../../db/queries/overview.js'
import {
  countMatchingDisclosures,
  sumDisclosuresByDataLevel,
  sumDisclosuresByLegalBasis,
  sumDisclosuresByPurpose,
  sumDisclosuresByPurposeAndRecipientType,
  sumDisclosuresByRecipient,
  sumDisclosuresCube,
  NO_LEGAL_BASIS,
  type DisclosureFilter,
} from '../../../db/queries/disclosures.js'
import { DAILY_CUBE, NARROW_ROLLUPS, rebuildRollups, rollupKeyColumns } from '../../../db/rollups.js'
import { ensureOrganisation } from '../../../db/queries/organisations.js'
import { ensurePractice } from '../../../db/queries/practices.js'
import { upsertDisclosures, type DisclosureRecord } from '../../../db/queries/records.js'
import type { Scope } from '../../../db/queries/scope.js'
import { addSource } from '../../../db/queries/sources.js'
import { useTestDatabase } from '../../support/db.js'
import { rng } from '../../support/random.js'

// The dashboard reads roll-ups (the daily cube and the narrow monthly ones, kept by
// statement-level triggers); this proves its numbers equal a direct GROUP BY over the raw rows
// after late arrivals, corrections (new source_version moving a record to another purpose,
// recipient or day), duplicates, deletes and an organisation changing type, for scopes of whole
// months, odd days and the BST switch-over days in Europe/London, with and without filters.

const t = useTestDatabase()

const PURPOSES = ['direct_care', 'research', 'clinical_audit', 'commissioning', 'legal', 'safeguarding', 'insurance']
const LEGAL = [null, 'explicit_consent', 'implied_consent', 'legal_obligation', 's251']
const LEVELS = ['identifiable', 'pseudonymised', 'anonymised'] as const
// Days around the clock changes (2026-03-29 spring forward, 2026-10-25 fall back) and ordinary days.
const DAYS = [
  '2026-03-27',
  '2026-03-28',
  '2026-03-29',
  '2026-03-30',
  '2026-06-30',
  '2026-07-01',
  '2026-10-24',
  '2026-10-25',
  '2026-10-26',
  '2026-12-31',
  '2027-01-01',
]
// Times near midnight UTC land on the next or previous London day in summer.
const TIMES = ['00:00:00', '00:30:00', '00:59:59', '01:00:00', '01:30:00', '12:00:00', '22:59:59', '23:00:00', '23:30:00', '23:59:59']

async function expectEqual(scope: Scope) {
  const db = t.db
  const where = (alias = 'd') => {
    const parts = [`${alias}.practice_id = ANY(?)`]
    const params: Knex.RawBinding[] = [scope.practiceIds]
    if (scope.from) {
      parts.push(`(${alias}.occurred_at AT TIME ZONE 'Europe/London')::date >= ?::date`)
      params.push(scope.from)
    }
    if (scope.to) {
      parts.push(`(${alias}.occurred_at AT TIME ZONE 'Europe/London')::date <= ?::date`)
      params.push(scope.to)
    }
    return { sql: parts.join(' AND '), params }
  }
  const w = where()
  const raw = async (select: string, groupBy: string) => {
    const { rows } = await db.raw(
      `SELECT ${select}, count(*)::int AS n FROM disclosures d JOIN organisations o ON o.id = d.recipient_id WHERE ${w.sql} GROUP BY ${groupBy}`,
      w.params,
    )
    return new Map<string, number>(rows.map((r: { k: string; n: number }) => [String(r.k), Number(r.n)]))
  }
  const toMap = <T>(rows: T[], key: (r: T) => string, n: (r: T) => unknown) => new Map(rows.map((r) => [key(r), Number(n(r))]))

  const { rows: totalRows } = await db.raw(`SELECT count(*)::int AS n FROM disclosures d WHERE ${w.sql}`, w.params)
  const total = Number(totalRows[0].n)
  expect(Number(await countDisclosures(db, scope))).toBe(total)
  const { rows: patientRows } = await db.raw(
    `SELECT count(DISTINCT d.patient_pseudonym)::int AS n FROM disclosures d WHERE ${w.sql}`,
    w.params,
  )
  expect(await countPatientsAffected(db, scope)).toBe(patientRows[0].n)
  expect(await countPatientsAffected(db, scope), 'the cached count').toBe(patientRows[0].n)
  expect(await countMatchingDisclosures(db, scope, {})).toBe(total)

  const byPurpose = await raw(`d.purpose AS k`, '1')
  expect(
    toMap(
      await countDisclosuresByPurposeOverview(db, scope),
      (r) => r.purpose,
      (r) => r.disclosures,
    ),
  ).toEqual(byPurpose)
  expect(
    toMap(
      await sumDisclosuresByPurpose(db, scope),
      (r) => r.purpose,
      (r) => r.disclosures,
    ),
  ).toEqual(byPurpose)

  const byRecipient = await raw(`d.recipient_id::text AS k`, '1')
  expect(
    toMap(
      await countDisclosuresByRecipientOverview(db, scope),
      (r) => String(r.recipientId),
      (r) => r.disclosures,
    ),
  ).toEqual(byRecipient)
  expect(
    toMap(
      await sumDisclosuresByRecipient(db, scope),
      (r) => String(r.recipientId),
      (r) => r.disclosures,
    ),
  ).toEqual(byRecipient)

  expect(
    toMap(
      await sumDisclosuresByPurposeAndRecipientType(db, scope),
      (r) => `${r.purpose}|${r.recipientType}`,
      (r) => r.disclosures,
    ),
  ).toEqual(await raw(`d.purpose || '|' || o.recipient_type AS k`, '1'))
  expect(
    toMap(
      await sumDisclosuresByLegalBasis(db, scope),
      (r) => r.legalBasis,
      (r) => r.disclosures,
    ),
  ).toEqual(await raw(`coalesce(d.legal_basis, '${NO_LEGAL_BASIS}') AS k`, '1'))
  expect(
    toMap(
      await sumDisclosuresByDataLevel(db, scope),
      (r) => r.dataLevel,
      (r) => r.disclosures,
    ),
  ).toEqual(await raw(`d.data_level AS k`, '1'))
  expect(
    toMap(
      await sumDisclosuresCube(db, scope),
      (r) => `${r.purpose}|${r.recipientId}|${r.legalBasis}|${r.dataLevel}`,
      (r) => r.disclosures,
    ),
  ).toEqual(
    await raw(`d.purpose || '|' || d.recipient_id || '|' || coalesce(d.legal_basis, '${NO_LEGAL_BASIS}') || '|' || d.data_level AS k`, '1'),
  )
  expect(
    toMap(
      await disclosureTrend(db, scope, 'day'),
      (r) => r.period,
      (r) => r.disclosures,
    ),
  ).toEqual(await raw(`to_char((d.occurred_at AT TIME ZONE 'Europe/London')::date, 'YYYY-MM-DD') AS k`, '1'))
  expect(
    toMap(
      await disclosureTrend(db, scope, 'month'),
      (r) => r.period,
      (r) => r.disclosures,
    ),
  ).toEqual(await raw(`to_char(date_trunc('month', (d.occurred_at AT TIME ZONE 'Europe/London')::date), 'YYYY-MM-DD') AS k`, '1'))
  return total
}

/** The disclosures page's filtered charts against a filtered GROUP BY over the raw rows. */
async function expectEqualFiltered(scope: Scope, filter: DisclosureFilter) {
  const db = t.db
  const parts = ['d.practice_id = ANY(?)']
  const params: Knex.RawBinding[] = [scope.practiceIds]
  const where = (sql: string, value: Knex.RawBinding) => {
    parts.push(sql)
    params.push(value)
  }
  if (scope.from) where(`(d.occurred_at AT TIME ZONE 'Europe/London')::date >= ?::date`, scope.from)
  if (scope.to) where(`(d.occurred_at AT TIME ZONE 'Europe/London')::date <= ?::date`, scope.to)
  if (filter.purpose) where('d.purpose = ?', filter.purpose)
  if (filter.recipientType) where('o.recipient_type = ?', filter.recipientType)
  if (filter.recipientId !== undefined) where('d.recipient_id = ?', filter.recipientId)
  if (filter.legalBasis === NO_LEGAL_BASIS) parts.push('d.legal_basis IS NULL')
  else if (filter.legalBasis) where('d.legal_basis = ?', filter.legalBasis)
  if (filter.dataLevel) where('d.data_level = ?', filter.dataLevel)
  const raw = async (key: string) => {
    const { rows } = await db.raw(
      `SELECT ${key} AS k, count(*)::int AS n FROM disclosures d JOIN organisations o ON o.id = d.recipient_id WHERE ${parts.join(' AND ')} GROUP BY 1`,
      params,
    )
    return new Map<string, number>(rows.map((r: { k: string; n: number }) => [String(r.k), Number(r.n)]))
  }
  const toMap = <T>(rows: T[], key: (r: T) => string, n: (r: T) => unknown) => new Map(rows.map((r) => [key(r), Number(n(r))]))
  const byPurpose = await raw('d.purpose')
  expect(
    toMap(
      await sumDisclosuresByPurpose(db, scope, filter),
      (r) => r.purpose,
      (r) => r.disclosures,
    ),
  ).toEqual(byPurpose)
  expect(
    toMap(
      await sumDisclosuresByRecipient(db, scope, filter),
      (r) => String(r.recipientId),
      (r) => r.disclosures,
    ),
  ).toEqual(await raw('d.recipient_id::text'))
  expect(
    toMap(
      await sumDisclosuresByPurposeAndRecipientType(db, scope, filter),
      (r) => `${r.purpose}|${r.recipientType}`,
      (r) => r.disclosures,
    ),
  ).toEqual(await raw(`d.purpose || '|' || o.recipient_type`))
  expect(
    toMap(
      await sumDisclosuresByLegalBasis(db, scope, filter),
      (r) => r.legalBasis,
      (r) => r.disclosures,
    ),
  ).toEqual(await raw(`coalesce(d.legal_basis, '${NO_LEGAL_BASIS}')`))
  expect(
    toMap(
      await sumDisclosuresByDataLevel(db, scope, filter),
      (r) => r.dataLevel,
      (r) => r.disclosures,
    ),
  ).toEqual(await raw('d.data_level'))
  expect(await countMatchingDisclosures(db, scope, filter)).toBe([...byPurpose.values()].reduce((a, b) => a + b, 0))
  return [...byPurpose.values()].reduce((a, b) => a + b, 0)
}

/** No roll-up may keep an empty or negative group. */
async function expectNoEmptyGroups() {
  for (const table of [DAILY_CUBE, ...NARROW_ROLLUPS].map((r) => r.table)) {
    const { rows } = await t.db.raw(`SELECT count(*)::int AS n FROM ${table} WHERE disclosures <= 0`)
    expect(rows[0].n, table).toBe(0)
  }
}

describe('disclosure roll-ups', () => {
  it('equals a direct count over the raw rows after late arrivals, corrections, duplicates and deletes', async () => {
    const db = t.db
    const practices = [
      await ensurePractice(db, { odsCode: 'B82001', name: 'North Surgery' }),
      await ensurePractice(db, { odsCode: 'B82002', name: 'South Surgery' }),
      await ensurePractice(db, { odsCode: 'B82003', name: 'East Surgery' }),
    ]
    const sources = await Promise.all(
      practices.map((p) =>
        addSource(db, { practiceId: p.id, kind: 'fhir', name: `FHIR ${p.ods_code}`, baseUrl: `http://127.0.0.1:1/${p.ods_code}` }),
      ),
    )
    const recipients = [
      await ensureOrganisation(db, { odsCode: 'RX1', name: 'City Hospital', recipientType: 'nhs_trust' }),
      await ensureOrganisation(db, { odsCode: 'RX2', name: 'County Hospital', recipientType: 'nhs_trust' }),
      await ensureOrganisation(db, { odsCode: null, name: 'Acme Insurance', recipientType: 'insurer' }),
      await ensureOrganisation(db, { odsCode: null, name: 'Smith Solicitors', recipientType: 'solicitor' }),
      await ensureOrganisation(db, { odsCode: 'QX1', name: 'Local ICB', recipientType: 'icb' }),
    ]
    const random = rng(20261123)
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!
    const record = (i: number, version: number): DisclosureRecord => {
      const pi = i % practices.length
      return {
        practice_id: practices[pi]!.id,
        source_id: sources[pi]!.id,
        source_record_id: `ae-${i}`,
        source_version: String(version),
        occurred_at: `${pick(DAYS)}T${pick(TIMES)}Z`,
        patient_pseudonym: `P-${Math.floor(random() * 200)}`,
        recipient_id: pick(recipients),
        purpose: pick(PURPOSES),
        purpose_code: null,
        legal_basis: pick(LEGAL),
        data_level: pick(LEVELS),
        data_description: null,
        disclosed_by_role: null,
        disclosed_by: null,
        run_id: null,
      }
    }

    // First collection: 1,500 records in batches of 250.
    const current = new Map<number, DisclosureRecord>()
    for (let i = 0; i < 1500; i++) current.set(i, record(i, 1))
    const first = [...current.values()]
    for (let b = 0; b < first.length; b += 250) await upsertDisclosures(db, first.slice(b, b + 250))

    // Late arrivals: new records for days already rolled up, newest days first, mixed with
    // unchanged duplicates of records we already hold.
    const late: DisclosureRecord[] = []
    for (let i = 1500; i < 1800; i++) {
      const r = record(i, 1)
      current.set(i, r)
      late.push(r)
    }
    late.sort((a, b) => String(b.occurred_at).localeCompare(String(a.occurred_at)))
    const dupes = first.filter((_, k) => k % 7 === 0)
    const lateCounts = await upsertDisclosures(db, [...late.slice(0, 150), ...dupes, ...late.slice(150)])
    expect(lateCounts).toEqual({ inserted: 300, updated: 0, duplicates: dupes.length })

    // Re-collection: corrected versions that move records to another purpose, recipient, legal
    // basis, data level or day (often across the London midnight); the same record twice in one batch.
    const corrected: DisclosureRecord[] = []
    for (let i = 0; i < 1800; i += 3) {
      const r = { ...record(i, 2) }
      current.set(i, r)
      corrected.push(r)
    }
    const twice = { ...record(3, 3) }
    current.set(3, twice)
    const correctedCounts = await upsertDisclosures(db, [...corrected, twice])
    expect(correctedCounts.inserted).toBe(0)
    expect(correctedCounts.updated).toBe(corrected.length)

    // Deletes: a source withdraws some records (a statement over many days and groups).
    const gone = [...current.keys()].filter((i) => i % 11 === 5)
    await db('disclosures')
      .whereIn(
        'source_record_id',
        gone.map((i) => `ae-${i}`),
      )
      .delete()
    for (const i of gone) current.delete(i)

    // And one more late, corrected batch after the deletes (a deleted record coming back).
    const back = gone.slice(0, 40).map((i) => record(i, 4))
    for (const [k, r] of back.entries()) current.set(gone[k]!, r)
    await upsertDisclosures(db, back)

    const { rows: totalRows } = await db.raw('SELECT count(*)::int AS n FROM disclosures')
    expect(totalRows[0].n).toBe(current.size)

    await expectNoEmptyGroups()

    const all = practices.map((p) => p.id)
    const scopes: Scope[] = [
      { practiceIds: all },
      { practiceIds: [practices[0]!.id] },
      { practiceIds: [practices[1]!.id, practices[2]!.id], from: '2026-03-29', to: '2026-03-29' },
      { practiceIds: all, from: '2026-03-28', to: '2026-03-29' },
      { practiceIds: all, from: '2026-03-30', to: '2026-10-24' },
      { practiceIds: all, from: '2026-10-25', to: '2026-10-25' },
      { practiceIds: [practices[0]!.id], from: '2026-10-25', to: '2026-12-31' },
      { practiceIds: all, from: '2027-01-01' },
      { practiceIds: all, to: '2026-06-30' },
      { practiceIds: all, from: '2025-01-01', to: '2025-12-31' },
      { practiceIds: [] },
      // Whole months (monthly roll-ups only), and whole months with odd days at either end.
      { practiceIds: all, from: '2026-03-01', to: '2026-10-31' },
      { practiceIds: [practices[2]!.id], from: '2026-03-28', to: '2026-12-31' },
      { practiceIds: all, from: '2026-03-29', to: '2026-10-24' },
      { practiceIds: all, from: '2026-07-01' },
      { practiceIds: all, to: '2026-03-31' },
      { practiceIds: all, from: '2026-03-30', to: '2027-01-01' },
      // Whole weeks around the months, and weeks cut where they would cross a month.
      { practiceIds: all, from: '2026-03-16', to: '2026-04-14' },
      { practiceIds: all, from: '2026-06-22', to: '2026-07-12' },
      { practiceIds: all, from: '2026-10-19', to: '2026-11-08' },
      { practiceIds: [practices[0]!.id, practices[1]!.id], from: '2026-03-23', to: '2026-10-25' },
    ]
    const totals: number[] = []
    for (const scope of scopes) totals.push(await expectEqual(scope))
    expect(totals[0]).toBe(current.size)
    // The boundary scopes are not empty, so the comparison means something.
    expect(totals[2]).toBeGreaterThan(0)
    expect(totals[5]).toBeGreaterThan(0)
    expect(totals[9]).toBe(0)
    for (const k of [11, 12, 13, 14, 15, 16, 17, 18, 19, 20]) expect(totals[k]).toBeGreaterThan(0)

    // The disclosures page's filters, alone and combined, on whole-month and odd-day periods.
    const filters: DisclosureFilter[] = [
      { purpose: 'research' },
      { recipientType: 'nhs_trust' },
      { recipientId: recipients[2]! },
      { legalBasis: NO_LEGAL_BASIS },
      { legalBasis: 'implied_consent' },
      { dataLevel: 'anonymised' },
      { purpose: 'direct_care', recipientType: 'insurer', dataLevel: 'identifiable' },
    ]
    for (const scope of [scopes[0]!, scopes[11]!, scopes[12]!, scopes[13]!, scopes[19]!, scopes[20]!]) {
      for (const filter of filters) expect(await expectEqualFiltered(scope, filter)).toBeGreaterThan(0)
    }

    // A new patient's disclosure, and its removal, change the cached patient count at once.
    const before = await countPatientsAffected(db, scopes[0]!)
    const newcomer = { ...record(5000, 1), patient_pseudonym: 'P-newcomer', practice_id: practices[1]!.id, source_id: sources[1]!.id }
    await upsertDisclosures(db, [newcomer])
    expect(await countPatientsAffected(db, scopes[0]!)).toBe(before + 1)
    await db('disclosures').where({ source_record_id: 'ae-5000' }).delete()
    expect(await countPatientsAffected(db, scopes[0]!)).toBe(before)

    // Many viewers of one uncounted scope at once (an ICB overview just after a collection)
    // share one count of the raw rows, and all get the exact figure.
    await upsertDisclosures(db, [newcomer])
    const distinctCounts: string[] = []
    const watch = (q: { sql: string }) => {
      if (/count\(distinct/i.test(q.sql)) distinctCounts.push(q.sql)
    }
    db.on('query', watch)
    try {
      expect(await Promise.all(Array.from({ length: 6 }, () => countPatientsAffected(db, scopes[0]!)))).toEqual(Array(6).fill(before + 1))
    } finally {
      db.removeListener('query', watch)
    }
    expect(distinctCounts).toHaveLength(1)
    await db('disclosures').where({ source_record_id: 'ae-5000' }).delete()

    // An organisation's type is corrected: the purpose x recipient type roll-up follows it.
    await db('organisations').where({ id: recipients[0]! }).update({ recipient_type: 'gp_practice' })
    await expectNoEmptyGroups()
    for (const scope of [scopes[0]!, scopes[11]!, scopes[12]!]) await expectEqual(scope)
    expect(await expectEqualFiltered(scopes[11]!, { recipientType: 'gp_practice' })).toBeGreaterThan(0)

    // A rebuild from the raw rows (bulk loads, repairs) gives exactly what the triggers kept.
    const snapshot = async () => {
      const out: Record<string, unknown[]> = {}
      for (const r of [DAILY_CUBE, ...NARROW_ROLLUPS]) {
        out[r.table] = (await db.raw(`SELECT * FROM ${r.table} ORDER BY ${rollupKeyColumns(r).join(', ')}`)).rows
      }
      return out
    }
    const incremental = await snapshot()
    expect(incremental['disclosure_month_purpose']!.length).toBeGreaterThan(0)
    const rebuilt = await rebuildRollups(db)
    expect(rebuilt.map((r) => r.table)).toEqual([
      ...[DAILY_CUBE, ...NARROW_ROLLUPS].map((r) => r.table),
      'opt_out_spans',
      'opt_out_day_changes',
      'opt_out_month_changes',
    ])
    expect(await snapshot()).toEqual(incremental)
  })
})
