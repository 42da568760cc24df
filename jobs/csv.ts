import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { pipeline } from 'node:stream'
import { CsvError, parse, type Info } from 'csv-parse'
import type { Db } from '../db/client.js'
import { quarantineRecords, resolveQuarantined, type QuarantineInput, type WriteCounts } from '../db/queries/records.js'
import { summariseRun, type JobContext, type RunSummary } from './runner.js'

/** How one file import ended; the counts are the run's committed totals. */
export type ImportResult = RunSummary
export const importResultOf = summariseRun

/** The whole file cannot be imported (missing, empty, wrong header, broken quoting). */
export class CsvFileError extends Error {}

export interface CsvColumns<C extends string> {
  required: readonly C[]
  optional?: readonly C[]
}

/** One data row: `line` is its line in the file, counting the header as 1, as a spreadsheet numbers rows. */
export interface CsvRow<C extends string> {
  line: number
  values: Record<C, string>
}

/** Header names match whatever their case, spacing or punctuation: "Disclosed at" is disclosed_at. */
function headerKey(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
}

async function assertReadableFile(file: string): Promise<void> {
  const name = path.basename(file)
  let stat: fs.Stats
  try {
    stat = await fs.promises.stat(file)
    await fs.promises.access(file, fs.constants.R_OK)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new CsvFileError(`The file ${name} does not exist (looked for ${path.resolve(file)}).`)
    if (code === 'EACCES') throw new CsvFileError(`The file ${name} cannot be read: permission denied.`)
    throw new CsvFileError(`The file ${name} cannot be read: ${(err as Error).message}.`)
  }
  if (!stat.isFile()) throw new CsvFileError(`${path.resolve(file)} is not a file.`)
  if (stat.size === 0) throw new CsvFileError(`The file ${name} is empty: it has no header row.`)
}

function columnPositions<C extends string>(file: string, header: string[], columns: CsvColumns<C>): Map<C, number> {
  const found = new Map<string, number>()
  header.forEach((h, i) => {
    if (!found.has(headerKey(h))) found.set(headerKey(h), i)
  })
  const missing = columns.required.filter((c) => !found.has(headerKey(c)))
  if (missing.length > 0) {
    const present = header
      .map((h) => h.trim().slice(0, 40))
      .filter(Boolean)
      .slice(0, 20)
    throw new CsvFileError(
      `The header row of ${path.basename(file)} lacks the required column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}` +
        ` (it has: ${present.join(', ') || 'nothing'}).`,
    )
  }
  const positions = new Map<C, number>()
  for (const c of [...columns.required, ...(columns.optional ?? [])]) {
    const i = found.get(headerKey(c))
    if (i !== undefined) positions.set(c, i)
  }
  return positions
}

/**
 * Streams the data rows of a CSV file, keyed by the column names the caller asks for; other
 * columns are dropped here, so they never reach a payload or the database. Accepts a UTF-8 BOM,
 * CRLF, quoted fields with commas or line breaks, short rows (missing cells read as ''), and
 * skips rows that are empty or hold only empty cells (spreadsheets leave those behind).
 */
export async function* readCsvRows<C extends string>(file: string, columns: CsvColumns<C>): AsyncGenerator<CsvRow<C>> {
  await assertReadableFile(file)
  // No `trim` option: with it, csv-parse 6 silently drops every row after a stray quote.
  // relax_quotes keeps a stray quote as text, so only the cell it sits in fails validation.
  const parser = parse({ bom: true, info: true, relax_quotes: true, relax_column_count: true, skip_empty_lines: true })
  // pipeline, not pipe: a read error reaches the loop below, and stopping early closes the file.
  // Errors surface through the iteration, so the callback has nothing left to do.
  pipeline(fs.createReadStream(file), parser, () => {})
  let positions: Map<C, number> | undefined
  let lastLine = 0
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: Info }>) {
      const cells = record.map((v) => v.trim())
      if (!positions) {
        positions = columnPositions(file, cells, columns)
      } else if (cells.some((v) => v !== '')) {
        const values = {} as Record<C, string>
        for (const c of [...columns.required, ...(columns.optional ?? [])]) {
          const i = positions.get(c)
          values[c] = i === undefined ? '' : (cells[i] ?? '')
        }
        yield { line: info.lines, values }
      }
      lastLine = info.lines
    }
  } catch (err) {
    if (!(err instanceof CsvError)) throw err
    const reason = err.code === 'CSV_QUOTE_NOT_CLOSED' ? 'a quoted cell is never closed' : err.message
    throw new CsvFileError(`${path.basename(file)} cannot be read from row ${lastLine + 1} on: ${reason}.`)
  }
  if (!positions) throw new CsvFileError(`The file ${path.basename(file)} is empty: it has no header row.`)
}

/**
 * What a row turned into: a record to write, a problem to quarantine, or a row to pass over.
 * A record must hold only what may be stored: it becomes the quarantine payload if its key repeats.
 */
export type RowOutcome<T> =
  | { kind: 'load'; key: string; label: string; record: T }
  | { kind: 'quarantine'; key: string; reason: string; payload: unknown }
  | { kind: 'skip' }

export interface CsvImportSpec<C extends string, T> {
  columns: CsvColumns<C>
  /** Stored as quarantine.resource_type. */
  resourceType: string
  parseRow(row: CsvRow<C>): RowOutcome<T>
  writeBatch(trx: Db, records: T[]): Promise<WriteCounts>
}

export const BATCH_SIZE = 500

/**
 * The quarantine key of a row that has no usable natural key of its own. Hash only what may be
 * stored: a digest over a row that holds an NHS number could be brute-forced back to it.
 */
export function lineKey(line: number, storablePayload: unknown): string {
  return `line:${line}:${crypto.createHash('sha256').update(JSON.stringify(storablePayload)).digest('hex')}`
}

/**
 * Reads the file in batches of BATCH_SIZE rows; each batch's writes, quarantine entries and run
 * counts commit together. A key seen twice in one file is a mistake in the file, not a
 * correction: the later row is quarantined. Stops after the batch in hand when the run is asked
 * to stop. Returns how many rows were passed over.
 */
export async function importCsvRows<C extends string, T>(
  ctx: JobContext,
  sourceId: number,
  file: string,
  spec: CsvImportSpec<C, T>,
): Promise<{ skipped: number }> {
  const firstLineOfKey = new Map<string, number>()
  let skipped = 0
  let batch: Array<RowOutcome<T>> = []

  const flush = async () => {
    const outcomes = batch
    batch = []
    await ctx.commitBatch(async (trx) => {
      const loads = outcomes.flatMap((outcome) => (outcome.kind === 'load' ? [outcome] : []))
      const problems: QuarantineInput[] = outcomes.flatMap((outcome) =>
        outcome.kind === 'quarantine'
          ? [
              {
                sourceId,
                recordKey: outcome.key,
                resourceType: spec.resourceType,
                reason: outcome.reason,
                payload: outcome.payload,
                runId: ctx.run.id,
              },
            ]
          : [],
      )
      const written = await spec.writeBatch(
        trx,
        loads.map((l) => l.record),
      )
      // Resolve before quarantining, so a row quarantined in this very batch stays pending.
      await resolveQuarantined(
        trx,
        sourceId,
        loads.map((l) => l.key),
        `loaded in run ${ctx.run.id}`,
      )
      const quarantined = await quarantineRecords(trx, problems)
      return { read: outcomes.length, ...written, quarantined }
    })
  }

  for await (const row of readCsvRows(file, spec.columns)) {
    let outcome = spec.parseRow(row)
    if (outcome.kind === 'load') {
      const first = firstLineOfKey.get(outcome.key)
      if (first !== undefined) {
        outcome = {
          kind: 'quarantine',
          key: lineKey(row.line, outcome.record),
          reason: `row ${row.line}: ${outcome.label} appears again (first on row ${first}); only the first is loaded`,
          payload: outcome.record,
        }
      } else {
        firstLineOfKey.set(outcome.key, row.line)
      }
    }
    if (outcome.kind === 'skip') skipped++
    batch.push(outcome)
    if (batch.length >= BATCH_SIZE) {
      await flush()
      if (ctx.signal.aborted) return { skipped }
    }
  }
  if (batch.length > 0) await flush()
  return { skipped }
}

/** A dd/mm/yyyy (or d/m/yyyy) calendar date as YYYY-MM-DD, or null when it is not a real date. */
export function parseUkDate(text: string): string | null {
  const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text.trim())
  if (!m) return null
  return isoDate(Number(m[3]), Number(m[2]), Number(m[1]))
}

/** YYYY-MM-DD for a real calendar day (no 31 February), else null. */
export function isoDate(year: number, month: number, day: number): string | null {
  const d = new Date(Date.UTC(year, month - 1, day))
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return null
  return d.toISOString().slice(0, 10)
}
