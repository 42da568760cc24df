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

/**
 * Idempotent batch upsert on the natural key (source_id, source_record_id). A record we already
 * hold with the same source_version is a duplicate and is not touched; a new version replaces
 * the old one (the source corrected it). Multi-row INSERT: one statement per batch.
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
  const rows = [...unique.values()]
  const columns = Object.keys(rows[0]!).filter((c) => c !== 'source_id' && c !== 'source_record_id')
  const result = await db(table)
    .insert(rows)
    .onConflict(['source_id', 'source_record_id'])
    .merge([...columns, 'collected_at'] as string[])
    .where(db.raw(`${table}.source_version IS DISTINCT FROM excluded.source_version`))
    .returning(db.raw('(xmax = 0) AS inserted') as unknown as string)
  const inserted = (result as Array<{ inserted: boolean }>).filter((r) => r.inserted).length
  const updated = result.length - inserted
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
        reason: q.reason,
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
  return db('quarantine')
    .where({ source_id: sourceId, status: 'pending' })
    .whereIn('record_key', recordKeys)
    .update({ status: 'resolved', resolution })
}
