import type { PatientChoiceRecord } from '../../db/queries/records.js'
import {
  CONSENT_PROVISION_TYPE,
  V3_ACT_CODE,
  codingsOf,
  describeCoding,
  type ChoiceDecision,
  type ChoiceKind,
  type CodeTables,
  type MapContext,
} from './codes.js'
import { patientPseudonym } from './patient.js'
import { ConsentSchema, describeInvalid, r5Reason, toUtcIso, type Consent } from './schemas.js'
import { storableId } from './text.js'
import { isConsent } from './validate.js'

export type PatientChoiceDraft = Omit<PatientChoiceRecord, 'run_id'>

export type ConsentMapping = { error: string } | { skip: string } | { choice: PatientChoiceDraft }

interface Choice {
  kind: ChoiceKind
  decision: ChoiceDecision
  code_system: string | null
  code: string | null
}

/**
 * Maps one R4 Consent to a patient's sharing choice (an opt-out, a dissent, or its withdrawal).
 * Every record is stored with its effective date; the latest per patient and kind is the one in
 * force, so a later withdrawal cancels an earlier opt-out without anything being overwritten.
 */
export function mapConsent(raw: unknown, ctx: MapContext): ConsentMapping {
  const r5 = r5Reason(raw)
  if (r5) return { error: r5 }
  let consent: Consent
  if (isConsent(raw)) consent = raw
  else {
    const parsed = ConsentSchema.safeParse(raw)
    if (!parsed.success) return { error: describeInvalid('Consent', parsed.error) }
    consent = parsed.data
  }

  if (consent.status === 'entered-in-error') return { skip: 'entered in error' }
  if (consent.status === 'draft' || consent.status === 'proposed') return { error: `Consent is ${consent.status}: not yet in force` }
  const patient = patientPseudonym(consent.patient, ctx.pseudonymKey, ctx.sourceId)
  if (!patient) return { error: 'Consent names no patient (patient.identifier or a Patient reference)' }
  if ('error' in patient) return patient
  const effective = consent.dateTime ?? consent.provision?.period?.start ?? consent.meta?.lastUpdated
  if (!effective) return { error: 'Consent has no date to take effect from (dateTime, provision.period.start or meta.lastUpdated)' }
  const choice = decideChoice(consent, ctx.codes)
  if ('error' in choice) return choice

  return {
    choice: {
      practice_id: ctx.practiceId,
      source_id: ctx.sourceId,
      source_record_id: storableId(consent.id, ctx)!,
      source_version: storableId(consent.meta?.versionId ?? consent.meta?.lastUpdated ?? null, ctx),
      patient_pseudonym: patient.pseudonym,
      effective_at: toUtcIso(effective)!,
      status: consent.status === 'active' ? 'active' : 'inactive',
      ...choice,
    },
  }
}

/**
 * Which choice, and deny or permit. A code in choice_code_map decides both; without one, an
 * explicit provision.type, then policyRule OPTOUT / OPTIN, decide a record-sharing choice. A
 * mapped code that provision.type contradicts is not resolved by guessing: it is quarantined.
 */
function decideChoice(consent: Consent, codes: CodeTables): Choice | { error: string } {
  const provision = consent.provision
  const codings = [
    ...codingsOf(consent.category),
    ...codingsOf(provision?.code),
    ...(provision?.purpose ?? []),
    ...(provision?.provision ?? []).flatMap((p) => codingsOf(p.code)),
    ...codingsOf([consent.policyRule]),
  ]
  const matches = codings.flatMap((coding) => {
    const mapped = codes.choiceOf(coding.system, coding.code)
    return mapped ? [{ coding, ...mapped }] : []
  })
  const explicit = provision?.type
  const first = matches[0]
  if (first) {
    const meanings = new Set(matches.map((m) => `${m.kind} ${m.decision}`))
    if (meanings.size > 1) {
      return {
        error: `Consent codes disagree: ${matches.map((m) => `${describeCoding(m.coding)} means ${m.kind} ${m.decision}`).join(', ')}`,
      }
    }
    if (explicit && explicit !== first.decision) {
      return {
        error: `Consent contradicts itself: ${describeCoding(first.coding)} means ${first.kind} ${first.decision} but provision.type is ${explicit}`,
      }
    }
    return { kind: first.kind, decision: first.decision, code_system: first.coding.system ?? null, code: first.coding.code ?? null }
  }
  if (explicit) return { kind: 'record_sharing', decision: explicit, code_system: CONSENT_PROVISION_TYPE, code: explicit }
  const policy = codingsOf([consent.policyRule]).find((c) => c.system === V3_ACT_CODE && (c.code === 'OPTOUT' || c.code === 'OPTIN'))
  if (policy)
    return { kind: 'record_sharing', decision: policy.code === 'OPTOUT' ? 'deny' : 'permit', code_system: V3_ACT_CODE, code: policy.code! }
  const got = codings.map(describeCoding)
  return {
    error: `Consent has no code that says which choice it records (${got.length ? `got ${got.join(', ')}` : 'it has none'}) and no policyRule OPTOUT/OPTIN or provision.type to say deny or permit`,
  }
}
