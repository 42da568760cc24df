import { z } from 'zod'
import { findFhirSource } from '../../db/queries/admin.js'
import { ensurePractice, listPractices, type PracticeRow } from '../../db/queries/practices.js'
import { addSource as insertSource, type SourceRow } from '../../db/queries/sources.js'
import { issuesByField, OdsCode, requiredText } from '../inputs.js'
import { hasErrors, refused, RefusedInTransaction, writeOnce, type AdminContext, type AdminResult } from './operation.js'

const ALREADY_THERE = 'This practice already has a source at this address'

/** Registering a practice system (FHIR R4 server), from the web page or `ledger source add`. */
export const AddSourceSchema = z.object({
  name: requiredText(120, 'Enter a name people will recognise, such as "Riverside EMIS"', 'The name is longer than 120 characters'),
  baseUrl: z
    .string()
    .trim()
    .min(1, 'Enter the FHIR base URL, such as https://practice.example/fhir')
    .max(2000, 'The address is longer than 2,000 characters')
    .superRefine((v, ctx) => {
      let url: URL
      try {
        url = new URL(v)
      } catch {
        ctx.addIssue({ code: 'custom', message: 'Enter a full address starting with https:// or http://' })
        return
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:')
        ctx.addIssue({ code: 'custom', message: 'The address must start with https:// or http://' })
      else if (url.username || url.password)
        ctx.addIssue({ code: 'custom', message: 'Put the credentials in the token field, not in the address' })
    })
    .transform((v) => v.replace(/\/+$/, '')),
  token: z.string().max(4096, 'The token is longer than 4,096 characters').default(''),
  expectedInterval: z.coerce
    .number({ message: 'Enter the expected interval in minutes, as a whole number' })
    .int('Enter the expected interval in minutes, as a whole number')
    .min(5, 'The expected interval must be at least 5 minutes')
    .max(525_600, 'The expected interval must be at most 525,600 minutes (a year)'),
  // A checkbox sends "on"; the CLI a boolean. Decision 037: a backfill of such a source uses $export.
  bulkExport: z
    .union([z.boolean(), z.string()])
    .optional()
    .transform((v) => v === true || v === 'on'),
})

const NewPracticeInput = z.object({
  newPracticeOds: OdsCode,
  newPracticeName: requiredText(200, 'Enter the practice name', 'The practice name is longer than 200 characters'),
})

/**
 * Which practice: `practice` is a listed practice's id, or "new" with `newPracticeOds` and
 * `newPracticeName` (the web form); or `practiceOds` names it by code, created when first seen (the CLI).
 */
export interface AddSourceInput {
  name: string
  baseUrl: string
  token?: string
  expectedInterval: string
  /** The server offers FHIR Bulk Data $export (a checkbox's "on", or true). */
  bulkExport?: boolean | string
  practice?: string
  newPracticeOds?: string
  newPracticeName?: string
  practiceOds?: string
}

export async function addSource(
  ctx: AdminContext,
  input: AddSourceInput,
): Promise<AdminResult<{ source: SourceRow; practiceOds: string }>> {
  const { db } = ctx
  const parsed = AddSourceSchema.safeParse(input)
  const errors = parsed.success ? {} : issuesByField(parsed.error)
  let practice: PracticeRow | { odsCode: string; name?: string } | null = null
  if (input.practiceOds !== undefined) {
    const code = OdsCode.safeParse(input.practiceOds)
    if (code.success) practice = { odsCode: code.data }
    else errors.practiceOds = code.error.issues[0]!.message
  } else if (input.practice === 'new') {
    const p = NewPracticeInput.safeParse(input)
    if (p.success) practice = { odsCode: p.data.newPracticeOds, name: p.data.newPracticeName }
    else Object.assign(errors, issuesByField(p.error))
  } else {
    const known = (await listPractices(db)).find((p) => String(p.id) === input.practice)
    if (known) practice = known
    else errors.practice = 'Choose the practice whose system this is'
  }
  if (parsed.success && practice && 'id' in practice && (await findFhirSource(db, practice.id, parsed.data.baseUrl)))
    errors.baseUrl = ALREADY_THERE
  if (!parsed.success || !practice || hasErrors(errors)) return refused(errors)

  const s = parsed.data
  const chosen = practice
  return writeOnce(ctx, async (trx, log) => {
    // A practice named by code is created here, so a refusal below takes it back out.
    const row = 'id' in chosen ? chosen : await ensurePractice(trx, chosen)
    if (!('id' in chosen) && (await findFhirSource(trx, row.id, s.baseUrl))) throw new RefusedInTransaction({ baseUrl: ALREADY_THERE })
    const source = await insertSource(trx, {
      practiceId: row.id,
      kind: 'fhir',
      name: s.name,
      baseUrl: s.baseUrl,
      token: s.token.trim() || null,
      expectedIntervalMinutes: s.expectedInterval,
      bulkExport: s.bulkExport,
    })
    await log('source_add', {
      practiceId: row.id,
      target: `source:${source.id}`,
      detail: {
        name: source.name,
        baseUrl: source.base_url,
        tokenSet: !!source.token,
        expectedIntervalMinutes: source.expected_interval_minutes,
        bulkExport: source.bulk_export,
      },
    })
    return { source, practiceOds: row.ods_code }
  })
}
