import { quoteSafely } from '../../core/identifiers.js'
import type { Knex } from 'knex'
import type { Db } from '../client.js'

/** What a batch write did: new rows, rows the source corrected, and rows we already had. */
export interface WriteCounts {
  inserted: number
  updated: number
  duplicates: number
}

export interface DisclosureRecord {
  practice_id: number
  source_id: number
  source_record_id: string
  source_version: string | null
  occurred_at: Date | string
  patient_pseudonym: string
  recipient_id: number
  purpose: string
  purpose_code: string | null
  legal_basis: string | null
  data_level: 'identifiable' | 'pseudonymised' | 'anonymised'
  data_description: string | null
  disclosed_by_role: string | null
  disclosed_by: string | null
  run_id: number | null
}

export interface PatientChoiceRecord {
  practice_id: number
  source_id: number
  source_record_id: string
  source_version: string | null
  patient_pseudonym: string
  kind: 'ndop' | 'type1' | 'record_sharing' | 'scr'
  decision: 'deny' | 'permit'
  effective_at: Date | string
  code_system: string | null
  code: string | null
  status: 'active' | 'inactive'
  run_id: number | null
}

export interface OverrideEventRecord {
  practice_id: number
  source_id: number
  source_record_id: string
  source_version: string | null
  occurred_at: Date | string
  patient_pseudonym: string
  kind: 'break_glass' | 'consent_override' | 'override_stopped'
  reason_code: string | null
  purpose_code: string | null
  legal_basis: string | null
  actor_role: string | null
  actor: string | null
  recipient_id: number | null
  description: string | null
  run_id: number | null
}

type RecordTable = 'disclosures' | 'patient_choices' | 'override_events'

/** Every column a batch may carry, with its PostgreSQL type (the array each one travels in). */
const COLUMN_TYPES: Record<RecordTable, Record<string, string>> = {
  disclosures: {
    practice_id: 'int',
    source_id: 'int',
    source_record_id: 'text',
    source_version: 'text',
    occurred_at: 'timestamptz',
    patient_pseudonym: 'text',
    recipient_id: 'int',
    purpose: 'text',
    purpose_code: 'text',
    legal_basis: 'text',
    data_level: 'text',
    data_description: 'text',
    disclosed_by_role: 'text',
    disclosed_by: 'text',
    agreement_id: 'int',
    run_id: 'bigint',
  },
  patient_choices: {
    practice_id: 'int',
    source_id: 'int',
    source_record_id: 'text',
    source_version: 'text',
    patient_pseudonym: 'text',
    kind: 'text',
    decision: 'text',
    effective_at: 'timestamptz',
    code_system: 'text',
    code: 'text',
    status: 'text',
    run_id: 'bigint',
  },
  override_events: {
    practice_id: 'int',
    source_id: 'int',
    source_record_id: 'text',
    source_version: 'text',
    occurred_at: 'timestamptz',
    patient_pseudonym: 'text',
    kind: 'text',
    reason_code: 'text',
    purpose_code: 'text',
    legal_basis: 'text',
    actor_role: 'text',
    actor: 'text',
    recipient_id: 'int',
    description: 'text',
    run_id: 'bigint',
  },
}

const statements = new Map<string, string>()

/** The upsert for one table and column list, built once: one array parameter per column, whatever the batch size. */
function upsertStatement(table: RecordTable, columns: string[]): string {
  const cacheKey = `${table}:${columns.join(',')}`
  let sql = statements.get(cacheKey)
  if (sql === undefined) {
    const types = COLUMN_TYPES[table]
    const list = columns.join(', ')
    const updated = columns.filter((c) => c !== 'source_id' && c !== 'source_record_id')
    sql = `WITH written AS (
  INSERT INTO ${table} AS t (${list})
  SELECT ${list} FROM unnest(${columns.map((c) => `?::${types[c]}[]`).join(', ')}) AS u(${list})
  ON CONFLICT (source_id, source_record_id) DO UPDATE
     SET ${[...updated.map((c) => `${c} = excluded.${c}`), 'collected_at = excluded.collected_at'].join(', ')}
   WHERE t.source_version IS DISTINCT FROM excluded.source_version
  RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted)::int AS inserted, count(*) FILTER (WHERE NOT inserted)::int AS updated FROM written`
    statements.set(cacheKey, sql)
  }
  return sql
}

/**
 * Idempotent batch upsert on the natural key (source_id, source_record_id). A record we already
 * hold with the same source_version is a duplicate and is not touched; a new version replaces
 * the old one (the source corrected it). One INSERT ... SELECT FROM unnest(...) per batch, with
 * one array parameter per column, so the statement text and its parameter count do not grow
 * with the batch (a VALUES list with a parameter per value costs far more to send and plan).
 */
export async function upsertRecords<T extends { source_id: number; source_record_id: string; source_version: string | null }>(
  db: Db,
  table: RecordTable,
  records: T[],
): Promise<WriteCounts> {
  if (records.length === 0) return { inserted: 0, updated: 0, duplicates: 0 }
  // The same record twice in one batch would make ON CONFLICT touch a row twice: keep the last.
  const unique = new Map<string, T>()
  for (const r of records) unique.set(`${r.source_id}\u0000${r.source_record_id}`, r)
  const rows = [...unique.values()] as Array<T & Record<string, unknown>>
  const types = COLUMN_TYPES[table]
  const columns = Object.keys(rows[0]!).filter((c) => rows[0]![c] !== undefined)
  for (const c of columns) if (!(c in types)) throw new Error(`${table} has no column ${c} that a collected record may set`)
  const arrays = columns.map((c) => {
    const values = new Array<unknown>(rows.length)
    for (let i = 0; i < rows.length; i++) {
      const v = rows[i]![c]
      // An instant travels as ISO text, the same whichever driver (pg, PGlite) sends it.
      values[i] = v instanceof Date ? v.toISOString() : (v ?? null)
    }
    return values
  })
  const { rows: result } = await db.raw(upsertStatement(table, columns), arrays as unknown as readonly Knex.RawBinding[])
  const inserted = Number(result[0].inserted)
  const updated = Number(result[0].updated)
  return { inserted, updated, duplicates: records.length - inserted - updated }
}

export async function upsertDisclosures(db: Db, records: DisclosureRecord[]) {
  return upsertRecords(db, 'disclosures', records)
}
export async function upsertPatientChoices(db: Db, records: PatientChoiceRecord[]) {
  return upsertRecords(db, 'patient_choices', records)
}
export async function upsertOverrideEvents(db: Db, records: OverrideEventRecord[]) {
  return upsertRecords(db, 'override_events', records)
}

export interface QuarantineInput {
  sourceId: number
  recordKey: string
  resourceType: string | null
  reason: string
  payload: unknown
  runId: number | null
}

/** Puts a record that failed validation aside with its reason; seen again, it is updated, not added. */
export async function quarantineRecords(db: Db, items: QuarantineInput[]): Promise<number> {
  if (items.length === 0) return 0
  const unique = new Map<string, QuarantineInput>()
  for (const q of items) unique.set(q.recordKey, q)
  await db('quarantine')
    .insert(
      [...unique.values()].map((q) => ({
        source_id: q.sourceId,
        record_key: q.recordKey,
        resource_type: q.resourceType,
        // Every user of the source's practice reads reasons: the last guard against a quoted NHS number.
        reason: quoteSafely(q.reason, 2000),
        payload: JSON.stringify(q.payload ?? null),
        first_run_id: q.runId,
        last_run_id: q.runId,
      })),
    )
    .onConflict(['source_id', 'record_key'])
    .merge({
      reason: db.raw('excluded.reason'),
      payload: db.raw('excluded.payload'),
      last_run_id: db.raw('excluded.last_run_id'),
      last_seen_at: db.fn.now(),
      status: 'pending',
      resolution: null,
    })
  return items.length
}

/** A record that once failed and now loads cleanly: its quarantine entry is resolved. */
export async function resolveQuarantined(db: Db, sourceId: number, recordKeys: string[], resolution: string): Promise<number> {
  if (recordKeys.length === 0) return 0
  // One array parameter, not one per key: a page resolves up to a thousand keys at a time.
  return db('quarantine')
    .where({ source_id: sourceId, status: 'pending' })
    .whereRaw('record_key = ANY(?::text[])', [recordKeys])
    .update({ status: 'resolved', resolution })
}
