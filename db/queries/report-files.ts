import fs from 'node:fs'
import type { Db } from '../client.js'

// The stored bytes of delivered reports (report_files), in chunks so neither writing nor reading
// a large pack holds it whole in memory.

const CHUNK_BYTES = 1024 * 1024

/** Stores the file at `file` as report `reportId`'s bytes, one chunk per round trip. */
export async function storeReportFile(db: Db, reportId: string, file: string): Promise<void> {
  let chunk = 0
  for await (const bytes of fs.createReadStream(file, { highWaterMark: CHUNK_BYTES })) {
    await db('report_files').insert({ report_id: reportId, chunk: chunk++, bytes })
  }
}

/** One stored chunk, or undefined past the last one. */
export async function readReportFileChunk(db: Db, reportId: string, chunk: number): Promise<Buffer | undefined> {
  const row = await db('report_files').where({ report_id: reportId, chunk }).first('bytes')
  return row?.bytes
}

/** Ids among `reportIds` whose file is still kept. */
export async function keptReportFiles(db: Db, reportIds: string[]): Promise<Set<string>> {
  if (reportIds.length === 0) return new Set()
  const rows = await db('report_files').whereIn('report_id', reportIds).where('chunk', 0).select('report_id')
  return new Set(rows.map((r) => r.report_id as string))
}

/** Deletes the files of reports generated before `before` (their record in report_exports stays). */
export async function deleteReportFilesBefore(db: Db, before: Date): Promise<number> {
  return db('report_files')
    .whereIn('report_id', db('report_exports').where('generated_at', '<', before).select('id'))
    .delete()
}
