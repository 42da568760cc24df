import fs from 'node:fs'
import { once } from 'node:events'
import type { Writable } from 'node:stream'
import { toBalpAuditEvent, type BalpDisclosureRow } from '../core/balp.js'
import { balpDisclosureQuery, cursorBatches, type Db, type DisclosureFilter, type Scope } from './queries/index.js'

// The BALP export (docs/decisions/037): one IHE BALP PrivacyDisclosure AuditEvent per disclosure,
// as NDJSON, for `ledger export balp` and the download on /disclosures alike. The rows come
// through one cursor in batches (reports/queries/cursor.ts), so memory stays flat whatever the count.

/** Rows fetched per batch from the cursor. */
export const BALP_BATCH = 1000

/** The export's NDJSON, a batch of lines at a time, with how many AuditEvents each chunk holds. */
export async function* balpNdjson(db: Db, scope: Scope, filter: DisclosureFilter = {}): AsyncGenerator<{ text: string; rows: number }> {
  for await (const rows of cursorBatches<BalpDisclosureRow>(db, balpDisclosureQuery(db, scope, filter), BALP_BATCH)) {
    let text = ''
    for (const row of rows) text += `${JSON.stringify(toBalpAuditEvent(row))}\n`
    yield { text, rows: rows.length }
  }
}

/** Writes the export to `out`, waiting whenever it is full; the number of AuditEvents written. */
export async function writeBalp(db: Db, scope: Scope, filter: DisclosureFilter, out: Writable): Promise<number> {
  let count = 0
  for await (const chunk of balpNdjson(db, scope, filter)) {
    count += chunk.rows
    if (!out.write(chunk.text)) await once(out, 'drain')
  }
  return count
}

/**
 * Writes the export to `file`: to `file.partial` first, renamed when complete, so a file with
 * the name asked for is never a cut-short export.
 */
export async function writeBalpFile(db: Db, scope: Scope, filter: DisclosureFilter, file: string): Promise<number> {
  const partial = `${file}.partial`
  const out = fs.createWriteStream(partial)
  try {
    const count = await writeBalp(db, scope, filter, out)
    out.end()
    await once(out, 'finish')
    await fs.promises.rename(partial, file)
    return count
  } catch (err) {
    out.destroy()
    await fs.promises.rm(partial, { force: true })
    throw err
  }
}
