import path from 'node:path'
import { quoteSafely, storableText } from '../core/identifiers.js'
import type { Db } from '../db/client.js'
import { recordPracticeListSizes, upsertOptOutCounts } from '../db/queries/optout-counts.js'
import { ODS_PRACTICE_PATTERN, ensurePractice } from '../db/queries/practices.js'
import type { WriteCounts } from '../db/queries/records.js'
import { ensureFileSource } from '../db/queries/sources.js'
import {
  CsvFileError,
  importCsvRows,
  importResultOf,
  lineKey,
  parseUkDate,
  type CsvRow,
  type ImportResult,
  type RowOutcome,
} from './csv.js'
import { runJob, type RunnerDeps } from './runner.js'

/**
 * Imports NHS England's practice-level National Data Opt-out publication
 * (NDOP_reg_geog_<Mon_YYYY>.csv: per practice, its list size and the opt-outs in force at
 * ACH_DATE) into practice_optout_counts, creating the practices it names.
 */

export const IMPORT_NDOP_JOB = 'import-ndop'
export const NDOP_SOURCE_NAME = 'NHS England National Data Opt-out publication'

// Only the columns we use are required, so a publication that adds or drops a geography column
// still loads; the other columns (POSTCODE, sub-ICB and region codes) are ignored.
const NDOP_COLUMNS = ['ACH_DATE', 'GP_PRACTICE', 'PRACTICE_NAME', 'ICB_CODE', 'ICB_NAME', 'OPT_OUT', 'LIST_SIZE'] as const
type NdopColumn = (typeof NDOP_COLUMNS)[number]

export interface NdopCount {
  odsCode: string
  practiceName: string
  icbCode: string | null
  icbName: string | null
  asOf: string
  optOuts: number
  listSize: number
}

const MAX_INT = 2_147_483_647
const NAME_MAX_CHARS = 200

/** A count cell: a whole number, with or without thousands separators. */
function parseCount(column: NdopColumn, text: string, problems: string[]): number {
  if (text === '') {
    problems.push(`${column} is empty`)
  } else if (/^-\d[\d,]*$/.test(text)) {
    problems.push(`${column} '${quoteSafely(text)}' is negative`)
  } else if (!/^(\d+|\d{1,3}(,\d{3})+)$/.test(text)) {
    problems.push(`${column} '${quoteSafely(text)}' is not a whole number`)
  } else {
    const n = Number(text.replaceAll(',', ''))
    if (n <= MAX_INT) return n
    problems.push(`${column} '${text}' is too large to be a count of patients`)
  }
  return NaN
}

/**
 * Validates one publication row. "Unallocated" rows (opt-outs NHS England could not place with
 * a practice) and rows with a list size of 0 have no rate; they are a normal part of the file,
 * so they are passed over, not quarantined.
 */
export function parseNdopRow(row: CsvRow<NdopColumn>): RowOutcome<NdopCount> {
  const v = row.values
  if (v.PRACTICE_NAME.toLowerCase() === 'unallocated' || v.GP_PRACTICE.toUpperCase() === 'UNALLOCATED') return { kind: 'skip' }

  const problems: string[] = []
  const odsCode = v.GP_PRACTICE.toUpperCase()
  const isPracticeCode = ODS_PRACTICE_PATTERN.test(odsCode)
  if (!isPracticeCode) {
    problems.push(
      odsCode === ''
        ? 'GP_PRACTICE is empty'
        : `GP_PRACTICE '${quoteSafely(v.GP_PRACTICE)}' is not a GP practice code (one letter and five digits, such as A81001)`,
    )
  }
  const asOf = parseUkDate(v.ACH_DATE)
  if (!asOf)
    problems.push(v.ACH_DATE === '' ? 'ACH_DATE is empty' : `ACH_DATE '${quoteSafely(v.ACH_DATE)}' is not a date in the form dd/mm/yyyy`)
  const optOuts = parseCount('OPT_OUT', v.OPT_OUT, problems)
  const listSize = parseCount('LIST_SIZE', v.LIST_SIZE, problems)
  if (optOuts > listSize) problems.push(`OPT_OUT ${optOuts} is greater than LIST_SIZE ${listSize}`)

  // Keyed like the row that will later correct it, so loading that row resolves this entry.
  const key = isPracticeCode && asOf ? `${odsCode}:${asOf}` : lineKey(row.line, v)
  if (problems.length > 0) return { kind: 'quarantine', key, reason: `row ${row.line}: ${problems.join('; ')}`, payload: v }
  if (listSize === 0) return { kind: 'skip' }
  return {
    kind: 'load',
    key,
    label: `GP_PRACTICE ${odsCode} with ACH_DATE ${v.ACH_DATE}`,
    record: {
      odsCode,
      // Names are shown on every page: the same mask and cap as every other collected text (decision 016).
      practiceName: storableText(v.PRACTICE_NAME, NAME_MAX_CHARS) ?? '',
      icbCode: v.ICB_CODE.toUpperCase() || null,
      icbName: storableText(v.ICB_NAME, NAME_MAX_CHARS),
      asOf: asOf!,
      optOuts,
      listSize,
    },
  }
}

async function writeNdopBatch(trx: Db, counts: NdopCount[], sourceId: number, runId: number): Promise<WriteCounts> {
  const practiceIds = new Map<string, number>()
  for (const c of counts) {
    if (practiceIds.has(c.odsCode)) continue
    const practice = await ensurePractice(trx, {
      odsCode: c.odsCode,
      name: c.practiceName || undefined,
      icbCode: c.icbCode,
      icbName: c.icbName,
    })
    practiceIds.set(c.odsCode, practice.id)
  }
  const practiceId = (c: NdopCount) => practiceIds.get(c.odsCode)!
  const written = await upsertOptOutCounts(
    trx,
    counts.map((c) => ({
      practice_id: practiceId(c),
      kind: 'ndop',
      origin: 'ndop_publication',
      as_of: c.asOf,
      opt_outs: c.optOuts,
      list_size: c.listSize,
      source_id: sourceId,
      run_id: runId,
    })),
  )
  await recordPracticeListSizes(
    trx,
    counts.map((c) => ({ practiceId: practiceId(c), listSize: c.listSize, asOf: c.asOf })),
  )
  return written
}

/** Imports one publication file in its own run of the national NDOP source; failures are recorded on the run, not thrown. */
export async function importNdopFile(
  deps: RunnerDeps,
  file: string,
  opts: { trigger?: 'manual' | 'schedule' } = {},
): Promise<ImportResult> {
  const source = await ensureFileSource(deps.db, 'ndop_csv', null, NDOP_SOURCE_NAME)
  const outcome = await runJob(
    deps,
    { jobName: IMPORT_NDOP_JOB, sourceId: source.id, trigger: opts.trigger ?? 'manual', params: { file: path.basename(file) } },
    async (ctx) => {
      const { skipped } = await importCsvRows(ctx, source.id, file, {
        columns: { required: NDOP_COLUMNS },
        resourceType: 'ndop_csv_row',
        parseRow: parseNdopRow,
        writeBatch: (trx, counts) => writeNdopBatch(trx, counts, source.id, ctx.run.id),
      })
      if (ctx.counts.read === 0) throw new CsvFileError(`${path.basename(file)} has a header row but no practice rows.`)
      ctx.log(`${path.basename(file)}: ${ctx.counts.read} rows read, ${skipped} unallocated or empty-list rows passed over`)
    },
  )
  return importResultOf(outcome)
}
