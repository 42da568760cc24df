import crypto from 'node:crypto'
import path from 'node:path'
import { LOCAL_PURPOSE_SYSTEM, listLegalBases, listPurposeCodeMap, listPurposes, listRecipientTypes } from '../db/queries/codes.js'
import type { Db } from '../db/client.js'
import { organisationCache, type OrganisationInput } from '../db/queries/organisations.js'
import { ODS_PRACTICE_PATTERN, getPracticeByOds } from '../db/queries/practices.js'
import { upsertDisclosures, type DisclosureRecord, type WriteCounts } from '../db/queries/records.js'
import { ensureFileSource } from '../db/queries/sources.js'
import { importCsvRows, importResultOf, isoDate, lineKey, type CsvRow, type ImportResult, type RowOutcome } from './csv.js'
import { DATA_LEVELS, type DataLevel } from '../core/inputs.js'
import { hasNhsNumber, maskNhsNumbers, personSignal, quoteSafely, storableText } from '../core/identifiers.js'
import { isValidNhsNumber, pseudonymiseNhsNumber } from './pseudonym.js'
import { runJob, type RunnerDeps } from './runner.js'

/**
 * Imports a practice's manual disclosure register (the releases staff log by hand: police,
 * solicitors, insurers, subject access requests, court orders) into disclosures. The format is
 * ours and documented in docs/register-csv.md: keep the two in step.
 */

export const IMPORT_REGISTER_JOB = 'import-register'

export const REGISTER_COLUMNS = {
  required: ['reference', 'disclosed_at', 'nhs_number', 'recipient_name', 'recipient_type', 'purpose'],
  // Anything else in the file (notes, patient names, addresses) is never read, so never stored.
  optional: ['recipient_ods', 'legal_basis', 'data_level', 'data_description', 'disclosed_by', 'disclosed_by_role'],
} as const
type RegisterColumn = (typeof REGISTER_COLUMNS)['required' | 'optional'][number]

/** Recipients who are people, not organisations: their names are personal data and are not kept. */
const PATIENT_REPRESENTATIVE = 'patient_representative'
const PERSONAL_RECIPIENT_TYPES = new Set([PATIENT_REPRESENTATIVE])

/**
 * Cells that are stored, so must not carry an NHS number: any ten digits in any grouping, valid
 * check digit or not (decision 016). A row with one is quarantined for staff to correct.
 */
const STORED_TEXT_COLUMNS = [
  'reference',
  'recipient_name',
  'recipient_ods',
  'data_description',
  'disclosed_by',
  'disclosed_by_role',
] as const

const MAX_REFERENCE_LENGTH = 100

export interface RegisterCodes {
  /** Accepted purpose code (normalised) -> purposes.code; administrators can add synonyms in purpose_code_map. */
  purposes: Map<string, string>
  purposeCodes: string[]
  /** recipient_types.code -> label */
  recipientTypes: Map<string, string>
  legalBases: Set<string>
}

/** The code tables, read once per run. */
export async function loadRegisterCodes(db: Db): Promise<RegisterCodes> {
  const [purposes, synonyms, recipientTypes, legalBases] = await Promise.all([
    listPurposes(db),
    listPurposeCodeMap(db, LOCAL_PURPOSE_SYSTEM),
    listRecipientTypes(db),
    listLegalBases(db),
  ])
  const purposeCodes = purposes.map((p) => p.code)
  return {
    purposes: new Map([
      ...purposeCodes.map((c): [string, string] => [c, c]),
      ...synonyms.map((s): [string, string] => [codeKey(s.code), s.purpose]),
    ]),
    purposeCodes,
    recipientTypes: new Map(recipientTypes.map((t) => [t.code, t.label])),
    legalBases: new Set(legalBases.map((b) => b.code)),
  }
}

/** What a register row becomes; it holds the pseudonym, never the NHS number. */
export interface RegisterEntry {
  reference: string
  occurredAt: string
  patientPseudonym: string
  recipient: OrganisationInput
  purpose: string
  purposeAsGiven: string
  legalBasis: string | null
  dataLevel: DataLevel
  dataDescription: string | null
  disclosedBy: string | null
  disclosedByRole: string | null
  /** Digest of the normalised row: a corrected row has a new one, so it replaces the old. */
  version: string
}

/** "Subject access", "subject-access" and "SUBJECT_ACCESS" all mean subject_access. */
function codeKey(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_')
}

const londonClock = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London',
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
})

/** How far London's clock is ahead of UTC at instant `t` (0 in winter, 1 hour in summer). */
function londonOffsetMs(t: number): number {
  const p = Object.fromEntries(londonClock.formatToParts(new Date(t)).map((x) => [x.type, Number(x.value)]))
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - Math.floor(t / 1000) * 1000
}

/** The instant a London wall-clock time names; the second pass settles times near a clock change. */
function fromLondonTime(wallClockAsUtc: number): number {
  const first = wallClockAsUtc - londonOffsetMs(wallClockAsUtc)
  return wallClockAsUtc - londonOffsetMs(first)
}

const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/
const UK_DATE_TIME = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?: (\d{1,2}):(\d{2})(?::(\d{2}))?)?$/

/**
 * A disclosure time as an ISO instant, or null. Accepts YYYY-MM-DD, an ISO date-time (with or
 * without an offset) and dd/mm/yyyy with an optional HH:MM time. A time without an offset is
 * the practice's clock (UK time); a date alone is the start of that day in the UK.
 */
export function parseDisclosedAt(text: string): string | null {
  const iso = ISO_DATE_TIME.exec(text)
  const uk = iso ? null : UK_DATE_TIME.exec(text)
  const t = iso
    ? { year: iso[1], month: iso[2], day: iso[3], hour: iso[4], minute: iso[5], second: iso[6], ms: iso[7]?.padEnd(3, '0'), zone: iso[8] }
    : uk
      ? { year: uk[3], month: uk[2], day: uk[1], hour: uk[4], minute: uk[5], second: uk[6], ms: undefined, zone: undefined }
      : null
  if (!t) return null
  const [year, month, day, hour, minute, second, ms] = [t.year, t.month, t.day, t.hour, t.minute, t.second, t.ms].map((x) =>
    Number(x ?? 0),
  ) as [number, number, number, number, number, number, number]
  if (!isoDate(year, month, day) || hour > 23 || minute > 59 || second > 59) return null
  const wallClock = Date.UTC(year, month - 1, day, hour, minute, second, ms)
  if (t.zone === undefined) return new Date(fromLondonTime(wallClock)).toISOString()
  if (t.zone === 'Z') return new Date(wallClock).toISOString()
  const [, sign, hh, mm] = /^([+-])(\d{2}):?(\d{2})$/.exec(t.zone)!
  const offsetMs = (Number(hh) * 60 + Number(mm)) * 60_000 * (sign === '-' ? -1 : 1)
  return new Date(wallClock - offsetMs).toISOString()
}

export interface RegisterRowContext {
  codes: RegisterCodes
  pseudonymKey: string
  /** Disclosures cannot be dated after the import. */
  now: Date
  /** Longest free text stored from a cell; longer is cut with a marker. */
  maxTextChars: number
}

/** Validates and maps one register row; every problem in the row is named in one reason. */
export function parseRegisterRow(row: CsvRow<RegisterColumn>, ctx: RegisterRowContext): RowOutcome<RegisterEntry> {
  const v = row.values
  const problems: string[] = []

  const reference = v.reference
  if (reference === '') problems.push('reference is empty (each disclosure needs its own reference)')
  else if (reference.length > MAX_REFERENCE_LENGTH) problems.push(`reference is longer than ${MAX_REFERENCE_LENGTH} characters`)
  const referenceUsable = problems.length === 0 && !hasNhsNumber(reference)

  const occurredAt = v.disclosed_at === '' ? null : parseDisclosedAt(v.disclosed_at)
  if (v.disclosed_at === '') problems.push('disclosed_at is empty')
  else if (!occurredAt)
    problems.push(`disclosed_at '${quoteSafely(v.disclosed_at)}' is not a date (write YYYY-MM-DD, dd/mm/yyyy or YYYY-MM-DDTHH:MM)`)
  else if (new Date(occurredAt) > ctx.now) problems.push(`disclosed_at '${quoteSafely(v.disclosed_at)}' is in the future`)

  // The number itself is never echoed in a reason or kept in a payload.
  const nhsDigits = v.nhs_number.replace(/[\s-]/g, '')
  const valid = isValidNhsNumber(nhsDigits)
  if (nhsDigits === '') problems.push('nhs_number is empty')
  else if (!valid) problems.push('nhs_number is not a valid NHS number (10 digits, the last being the modulus 11 check digit)')
  const patientPseudonym = valid ? pseudonymiseNhsNumber(ctx.pseudonymKey, nhsDigits) : null

  for (const column of STORED_TEXT_COLUMNS) {
    if (hasNhsNumber(v[column])) problems.push(`${column} seems to hold an NHS number (it belongs in nhs_number only)`)
  }

  const recipientType = codeKey(v.recipient_type)
  const recipientLabel = ctx.codes.recipientTypes.get(recipientType)
  if (recipientType === '') problems.push(`recipient_type is empty (use one of: ${[...ctx.codes.recipientTypes.keys()].join(', ')})`)
  else if (!recipientLabel)
    problems.push(
      `recipient_type '${quoteSafely(v.recipient_type)}' is not a recipient type (use one of: ${[...ctx.codes.recipientTypes.keys()].join(', ')})`,
    )

  const recipientOds = v.recipient_ods.replace(/\s/g, '').toUpperCase()
  if (recipientOds !== '' && !hasNhsNumber(v.recipient_ods) && !/^[A-Z0-9]{3,10}$/.test(recipientOds)) {
    problems.push(`recipient_ods '${quoteSafely(v.recipient_ods)}' is not an ODS code (3 to 10 letters and digits, or leave it empty)`)
  }
  // A patient, relative or representative is stored as that type, whatever type the row gives;
  // a bare person's name with nothing to say who they are is not guessed at (decision 016).
  const signal = personSignal(v.recipient_name)
  const personal = PERSONAL_RECIPIENT_TYPES.has(recipientType) || signal === 'patient_or_representative'
  if (!personal && v.recipient_name === '' && recipientOds === '') {
    problems.push("recipient_name is empty (give the organisation's name, or its ODS code in recipient_ods)")
  }
  if (!personal && signal === 'personal_name' && recipientOds === '') {
    problems.push(
      "recipient_name reads as a person's name (not shown here): give the organisation's name or ODS code, or use recipient_type patient_representative for the patient or their representative",
    )
  }

  const purpose = ctx.codes.purposes.get(codeKey(v.purpose))
  if (v.purpose === '') problems.push(`purpose is empty (use one of: ${ctx.codes.purposeCodes.join(', ')})`)
  else if (!purpose) {
    problems.push(
      `purpose '${quoteSafely(v.purpose)}' is not a purpose code (use one of: ${ctx.codes.purposeCodes.join(', ')}; or ask an administrator to map '${quoteSafely(v.purpose)}' to one)`,
    )
  }

  const legalBasis = v.legal_basis === '' ? null : codeKey(v.legal_basis)
  if (legalBasis !== null && !ctx.codes.legalBases.has(legalBasis)) {
    problems.push(
      `legal_basis '${quoteSafely(v.legal_basis)}' is not a legal basis (use one of: ${[...ctx.codes.legalBases].join(', ')}; or leave it empty)`,
    )
  }

  const dataLevel = (v.data_level === '' ? 'identifiable' : codeKey(v.data_level)) as DataLevel
  if (!DATA_LEVELS.includes(dataLevel)) {
    problems.push(`data_level '${quoteSafely(v.data_level)}' is not one of ${DATA_LEVELS.join(', ')} (empty means identifiable)`)
  }

  // Without problems all four are set; naming them here lets the compiler know it.
  if (problems.length > 0 || !occurredAt || !patientPseudonym || !recipientLabel || !purpose) {
    const payload = storablePayload(v, patientPseudonym, signal !== null)
    // Keyed by the reference when it can be, so loading the corrected row resolves this entry.
    const key = referenceUsable ? reference : lineKey(row.line, payload)
    return { kind: 'quarantine', key, reason: `row ${row.line}: ${problems.join('; ')}`, payload }
  }

  const content = {
    occurredAt,
    patientPseudonym,
    // A person receiving the record (the patient, a relative) is recorded by type, not by name.
    recipient: personal
      ? {
          odsCode: null,
          name: ctx.codes.recipientTypes.get(PATIENT_REPRESENTATIVE) ?? PATIENT_REPRESENTATIVE,
          recipientType: PATIENT_REPRESENTATIVE,
        }
      : { odsCode: recipientOds || null, name: storableText(v.recipient_name, ctx.maxTextChars) ?? '', recipientType },
    purpose,
    purposeAsGiven: v.purpose,
    legalBasis,
    dataLevel,
    dataDescription: storableText(v.data_description, ctx.maxTextChars),
    disclosedBy: storableText(v.disclosed_by, ctx.maxTextChars),
    disclosedByRole: storableText(v.disclosed_by_role, ctx.maxTextChars),
  }
  const version = crypto.createHash('sha256').update(JSON.stringify(content)).digest('hex')
  return { kind: 'load', key: reference, label: `reference '${reference}'`, record: { reference, ...content, version } }
}

/**
 * A bad row as it may be kept for the administrator: the recognised cells, with NHS numbers
 * removed, and without a recipient's name that reads as a person's.
 */
function storablePayload(
  values: Record<RegisterColumn, string>,
  patientPseudonym: string | null,
  personalName: boolean,
): Record<string, string | null> {
  const { nhs_number: _removed, ...rest } = values
  return {
    ...Object.fromEntries(Object.entries(rest).map(([k, text]) => [k, maskNhsNumbers(text.slice(0, 2000))])),
    ...(personalName ? { recipient_name: "[withheld: reads as a person's name]" } : {}),
    patient_pseudonym: patientPseudonym,
  }
}

async function writeRegisterBatch(
  trx: Db,
  entries: RegisterEntry[],
  ids: { practiceId: number; sourceId: number; runId: number },
): Promise<WriteCounts> {
  const recipientId = organisationCache(trx)
  const records: DisclosureRecord[] = []
  for (const e of entries) {
    records.push({
      practice_id: ids.practiceId,
      source_id: ids.sourceId,
      source_record_id: e.reference,
      source_version: e.version,
      occurred_at: e.occurredAt,
      patient_pseudonym: e.patientPseudonym,
      recipient_id: await recipientId(e.recipient),
      purpose: e.purpose,
      purpose_code: e.purposeAsGiven,
      legal_basis: e.legalBasis,
      data_level: e.dataLevel,
      data_description: e.dataDescription,
      disclosed_by_role: e.disclosedByRole,
      disclosed_by: e.disclosedBy,
      run_id: ids.runId,
    })
  }
  return upsertDisclosures(trx, records)
}

/**
 * Imports one practice's register file in a run of that practice's register source. An unknown
 * practice is refused before any run starts (there is no source to record it against); every
 * other failure is recorded on the run, not thrown.
 */
export async function importRegisterFile(
  deps: RunnerDeps,
  file: string,
  practiceOds: string,
  opts: { trigger?: 'manual' | 'schedule' } = {},
): Promise<ImportResult> {
  const odsCode = practiceOds.trim().toUpperCase()
  if (!ODS_PRACTICE_PATTERN.test(odsCode)) {
    return {
      status: 'failed',
      runId: null,
      counts: null,
      error: `'${quoteSafely(practiceOds)}' is not a GP practice ODS code (one letter and five digits, such as A81001).`,
    }
  }
  const practice = await getPracticeByOds(deps.db, odsCode)
  if (!practice) {
    return {
      status: 'failed',
      runId: null,
      counts: null,
      error: `There is no practice with ODS code ${odsCode}: add the practice (or import the NDOP publication, which lists every practice) before importing its register.`,
    }
  }
  const source = await ensureFileSource(deps.db, 'register_csv', practice.id, `Disclosure register (${practice.ods_code})`)
  const outcome = await runJob(
    deps,
    { jobName: IMPORT_REGISTER_JOB, sourceId: source.id, trigger: opts.trigger ?? 'manual', params: { file: path.basename(file) } },
    async (ctx) => {
      const codes = await loadRegisterCodes(ctx.db)
      const rowContext: RegisterRowContext = {
        codes,
        pseudonymKey: ctx.config.pseudonymKey,
        now: new Date(),
        maxTextChars: ctx.config.http.maxTextChars,
      }
      await importCsvRows(ctx, source.id, file, {
        columns: REGISTER_COLUMNS,
        resourceType: 'register_csv_row',
        parseRow: (row) => parseRegisterRow(row, rowContext),
        writeBatch: (trx, entries) => writeRegisterBatch(trx, entries, { practiceId: practice.id, sourceId: source.id, runId: ctx.run.id }),
      })
    },
  )
  return importResultOf(outcome)
}
