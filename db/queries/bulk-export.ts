import type { Db } from '../client.js'

/** A file of an export's manifest: the resource type it holds and where to fetch it. */
export interface BulkFile {
  type: string
  url: string
}

/** How far a source's current $export backfill has been committed (decision 037). */
export interface BulkProgress {
  sourceId: number
  since: string
  until: string
  statusUrl: string
  /** The manifest's files, once the export is complete; null while it is being prepared. */
  files: BulkFile[] | null
  /** The file being read, and how many of its lines are committed. */
  fileIndex: number
  lineOffset: number
}

export async function getBulkProgress(db: Db, sourceId: number): Promise<BulkProgress | undefined> {
  const row = await db('bulk_export_progress').where({ source_id: sourceId }).first()
  if (!row) return undefined
  return {
    sourceId,
    since: row.since,
    until: row.until,
    statusUrl: row.status_url,
    files: row.manifest ?? null,
    fileIndex: row.file_index,
    lineOffset: Number(row.line_offset),
  }
}

/** An export just kicked off: its status URL, nothing read yet. */
export async function startBulkProgress(
  db: Db,
  p: { sourceId: number; since: string; until: string; statusUrl: string; runId: number },
): Promise<void> {
  await db.raw(
    `INSERT INTO bulk_export_progress (source_id, since, until, status_url, run_id) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (source_id) DO UPDATE SET since = excluded.since, until = excluded.until, status_url = excluded.status_url,
       manifest = NULL, file_index = 0, line_offset = 0, run_id = excluded.run_id, started_at = now(), updated_at = now()`,
    [p.sourceId, p.since, p.until, p.statusUrl, p.runId],
  )
}

export async function saveBulkManifest(db: Db, sourceId: number, files: BulkFile[]): Promise<void> {
  await db('bulk_export_progress')
    .where({ source_id: sourceId })
    .update({ manifest: JSON.stringify(files), file_index: 0, line_offset: 0, updated_at: db.fn.now() })
}

/** Written in each batch's transaction: the lines of file `fileIndex` committed so far. */
export async function advanceBulkProgress(db: Db, sourceId: number, fileIndex: number, lineOffset: number, runId: number): Promise<void> {
  await db('bulk_export_progress')
    .where({ source_id: sourceId })
    .update({ file_index: fileIndex, line_offset: lineOffset, run_id: runId, updated_at: db.fn.now() })
}

export async function clearBulkProgress(db: Db, sourceId: number): Promise<void> {
  await db('bulk_export_progress').where({ source_id: sourceId }).delete()
}
