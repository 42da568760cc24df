import { z } from 'zod'
import { agreementReferenceExists, organisationExists } from '../../db/queries/admin.js'
import { addAgreement as insertAgreement } from '../../db/queries/agreements.js'
import { listPurposes, listRecipientTypes } from '../../db/queries/codes.js'
import { ensureOrganisation, findOrganisationByOds } from '../../db/queries/organisations.js'
import { AGREEMENT_DESCRIPTION_LIMIT } from '../limits.js'
import { DataLevel, IsoDay, issuesByField, OrganisationOdsCode, requiredText } from '../inputs.js'
import {
  hasErrors,
  refused,
  RefusedInTransaction,
  writeOnce,
  type AdminContext,
  type AdminResult,
  type FindingsChange,
} from './operation.js'
import { knownPractices } from './practices.js'

const REFERENCE_TAKEN = 'An agreement with this reference already exists'

/** Recording a data sharing agreement, from the web page or `ledger agreement add`. */
export const AddAgreementSchema = z
  .object({
    reference: requiredText(64, 'Enter the agreement reference, such as DSA-2026-014', 'The reference is longer than 64 characters'),
    dataLevel: DataLevel,
    validFrom: IsoDay,
    validTo: z.union([z.literal(''), IsoDay]).default(''),
    description: z.string().trim().max(AGREEMENT_DESCRIPTION_LIMIT, 'The description is longer than 2,000 characters').default(''),
  })
  .superRefine((a, ctx) => {
    if (a.validTo && a.validTo < a.validFrom)
      ctx.addIssue({ code: 'custom', path: ['validTo'], message: 'The end date must be on or after the start date' })
  })

const NewRecipientInput = z.object({
  newRecipientName: requiredText(200, 'Enter the recipient organisation’s name', 'The name is longer than 200 characters'),
  newRecipientOds: OrganisationOdsCode,
  newRecipientType: z.string().min(1, 'Choose the recipient type'),
})

/**
 * The recipient: `recipient` is a known organisation's id, or "new" with the `newRecipient*`
 * fields (the web form); `recipientOds` names a known organisation by code instead (the CLI),
 * and with `newRecipientName` creates it when it is not known yet.
 * `purposes` are purpose codes; `practices` the ODS codes of the practices party to it.
 */
export interface AddAgreementInput {
  reference: string
  dataLevel: string
  validFrom: string
  validTo?: string
  description?: string
  recipient?: string
  recipientOds?: string
  newRecipientName?: string
  newRecipientOds?: string
  newRecipientType?: string
  purposes: string[]
  practices: string[]
}

export interface AddedAgreement {
  id: number
  reference: string
  recipientId: number
  findings: FindingsChange | null
}

export async function addAgreement(ctx: AdminContext, input: AddAgreementInput): Promise<AdminResult<AddedAgreement>> {
  const { db } = ctx
  const parsed = AddAgreementSchema.safeParse(input)
  const errors = parsed.success ? {} : issuesByField(parsed.error)

  const [purposes, recipientTypes] = await Promise.all([listPurposes(db), listRecipientTypes(db)])
  // Marketing and insurance are prohibited purposes: no agreement can make them lawful.
  const allowedPurposes = new Set(purposes.filter((p) => !p.prohibited).map((p) => p.code))
  const chosenPurposes = [...new Set(input.purposes)]
  if (chosenPurposes.length === 0) errors.purposes = 'Choose at least one purpose the agreement covers'
  else {
    const known = new Set(purposes.map((p) => p.code))
    const unknown = chosenPurposes.find((p) => !known.has(p))
    if (unknown !== undefined) errors.purposes = `Choose purposes from the list: ${JSON.stringify(unknown.slice(0, 40))} is not one`
    else if (chosenPurposes.some((p) => !allowedPurposes.has(p)))
      errors.purposes = 'Choose purposes from the list (marketing and insurance are never allowed)'
  }
  const chosen = await knownPractices(db, input.practices)
  if ('error' in chosen) errors.practices = chosen.error
  else if (chosen.practices.length === 0) errors.practices = 'Choose at least one practice that is party to the agreement'

  let recipientId: number | null = null
  let newRecipient: z.infer<typeof NewRecipientInput> | null = null
  const readNew = (given: Partial<z.input<typeof NewRecipientInput>>) => {
    const r = NewRecipientInput.safeParse(given)
    if (!r.success) Object.assign(errors, issuesByField(r.error))
    else if (!recipientTypes.some((t) => t.code === r.data.newRecipientType))
      errors.newRecipientType = 'Choose the recipient type from the list'
    else newRecipient = r.data
  }
  if (input.recipientOds !== undefined && input.recipient !== 'new') {
    const code = OrganisationOdsCode.safeParse(input.recipientOds)
    const known = code.success && code.data ? await findOrganisationByOds(db, code.data) : undefined
    if (!code.success || !code.data) errors.recipientOds = 'An ODS code is 3 to 10 letters and digits'
    else if (known) recipientId = known.id
    else if (input.newRecipientName === undefined)
      errors.recipientOds = `No organisation with ODS code ${code.data} is known yet: give its name and type too`
    else readNew({ newRecipientName: input.newRecipientName, newRecipientOds: code.data, newRecipientType: input.newRecipientType ?? '' })
  } else if (input.recipient === 'new') {
    readNew({
      newRecipientName: input.newRecipientName ?? '',
      newRecipientOds: input.newRecipientOds ?? '',
      newRecipientType: input.newRecipientType ?? '',
    })
  } else if (/^\d{1,9}$/.test(input.recipient ?? '') && (await organisationExists(db, Number(input.recipient)))) {
    recipientId = Number(input.recipient)
  } else {
    errors.recipient = 'Choose the recipient organisation, or "A new organisation" and give its details'
  }
  if (parsed.success && (await agreementReferenceExists(db, parsed.data.reference))) errors.reference = REFERENCE_TAKEN
  if (!parsed.success || 'error' in chosen || hasErrors(errors)) return refused(errors)

  const a = parsed.data
  const practices = chosen.practices
  const fresh = newRecipient as z.infer<typeof NewRecipientInput> | null
  const written = await writeOnce(ctx, async (trx, log) => {
    // A new recipient is created in the same transaction: a refusal below takes it back out.
    const recipient = fresh
      ? await ensureOrganisation(trx, {
          name: fresh.newRecipientName,
          odsCode: fresh.newRecipientOds || null,
          recipientType: fresh.newRecipientType,
        })
      : recipientId!
    const { id, created } = await insertAgreement(trx, {
      reference: a.reference,
      recipientId: recipient,
      dataLevel: a.dataLevel,
      validFrom: a.validFrom,
      validTo: a.validTo || null,
      description: a.description || null,
      purposes: chosenPurposes,
      practiceIds: practices.map((p) => p.id),
      createdBy: ctx.by.userId,
    })
    if (!created) throw new RefusedInTransaction({ reference: REFERENCE_TAKEN })
    await log('agreement_add', {
      practiceIds: practices.map((p) => p.id),
      target: `agreement:${id}`,
      detail: {
        reference: a.reference,
        recipientId: recipient,
        purposes: chosenPurposes,
        practices: practices.map((p) => p.ods_code),
        dataLevel: a.dataLevel,
        from: a.validFrom,
        to: a.validTo || null,
      },
    })
    return { id, reference: a.reference, recipientId: recipient }
  })
  if (!written.ok) return written
  // After the commit: the rules read the agreement as everyone else will see it.
  const findings = (await ctx.refreshFindings?.()) ?? null
  return { ok: true, value: { ...written.value, findings } }
}
