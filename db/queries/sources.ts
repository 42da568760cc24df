import type { Db } from '../client.js'

export type SourceKind = 'fhir' | 'ndop_csv' | 'register_csv'

export interface SourceRow {
  id: number
  practice_id: number | null
  kind: SourceKind
  name: string
  base_url: string | null
  token: string | null
  expected_interval_minutes: number
  enabled: boolean
  /** The server offers FHIR Bulk Data $export: a backfill reads through it (decision 037). */
  bulk_export: boolean
  created_at: Date
}

export async function addSource(
  db: Db,
  s: {
    practiceId: number | null
    kind: SourceKind
    name: string
    baseUrl?: string | null
    token?: string | null
    expectedIntervalMinutes?: number
    bulkExport?: boolean
  },
): Promise<SourceRow> {
  const [row] = await db('sources')
    .insert({
      practice_id: s.practiceId,
      kind: s.kind,
      name: s.name,
      base_url: s.baseUrl ?? null,
      token: s.token ?? null,
      expected_interval_minutes: s.expectedIntervalMinutes ?? 1440,
      bulk_export: s.bulkExport ?? false,
    })
    .returning('*')
  return row
}

/** The one source of a kind for a practice (CSV imports), created on first use. */
export async function ensureFileSource(
  db: Db,
  kind: 'ndop_csv' | 'register_csv',
  practiceId: number | null,
  name: string,
): Promise<SourceRow> {
  const existing = await db('sources')
    .where({ kind })
    .andWhere((q) => (practiceId === null ? q.whereNull('practice_id') : q.where({ practice_id: practiceId })))
    .first()
  if (existing) return existing
  return addSource(db, { practiceId, kind, name })
}

export async function getSource(db: Db, id: number): Promise<SourceRow | undefined> {
  return db('sources').where({ id }).first()
}

export async function listSources(db: Db, filter: { practiceId?: number; kind?: SourceKind; enabledOnly?: boolean } = {}) {
  const q = db('sources').orderBy('id')
  if (filter.practiceId !== undefined) q.where({ practice_id: filter.practiceId })
  if (filter.kind) q.where({ kind: filter.kind })
  if (filter.enabledOnly) q.where({ enabled: true })
  return (await q) as SourceRow[]
}

export async function getCursor(db: Db, sourceId: number, stream: string): Promise<string | undefined> {
  const row = await db('source_cursors').where({ source_id: sourceId, stream }).first()
  return row?.cursor
}

/** Moves the cursor forward only: a late or replayed page never winds it back. */
export async function advanceCursor(db: Db, sourceId: number, stream: string, cursor: string, runId: number): Promise<void> {
  await db.raw(
    `INSERT INTO source_cursors (source_id, stream, cursor, run_id, updated_at) VALUES (?, ?, ?, ?, now())
     ON CONFLICT (source_id, stream) DO UPDATE SET cursor = excluded.cursor, run_id = excluded.run_id, updated_at = now()
     WHERE source_cursors.cursor < excluded.cursor`,
    [sourceId, stream, cursor, runId],
  )
}

/** Says whether a FHIR source offers Bulk Data $export; false when there is no such FHIR source. */
export async function setBulkExport(db: Db, id: number, on: boolean): Promise<boolean> {
  return (await db('sources').where({ id, kind: 'fhir' }).update({ bulk_export: on })) > 0
}
