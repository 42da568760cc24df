import type { OrganisationInput } from '../../db/queries/organisations.js'
import { ODS_PRACTICE_PATTERN } from '../../db/queries/practices.js'
import type { DisclosureRecord, OverrideEventRecord } from '../../db/queries/records.js'
import {
  AUDIT_ENTITY_TYPE,
  AUDIT_EVENT_TYPE,
  DCM,
  DICOM_AUDIT_LIFECYCLE,
  ISO_21089_LIFECYCLE,
  LEGAL_BASIS_SYSTEM,
  OBJECT_ROLE,
  ODS_ORGANISATION_SYSTEM,
  OVERRIDE_REASONS,
  RECIPIENT_TYPE_SYSTEM,
  V3_ACT_REASON,
  V3_OBSERVATION_VALUE,
  codingsOf,
  describeCoding,
  type CodeTables,
  type MapContext,
} from './codes.js'
import { hasNhsNumber, namesPatientOrRelative, personSignal, quoteSafely } from '../../core/identifiers.js'
import { carriesNhsNumber, isPatientReference, patientPseudonym } from './patient.js'
import { storableId, storableText } from './text.js'
import {
  AuditEventSchema,
  describeInvalid,
  r5Reason,
  toUtcIso,
  type AuditEvent,
  type AuditEventAgent,
  type AuditEventEntity,
  type Coding,
} from './schemas.js'
import { isAuditEvent } from './validate.js'

/** A disclosure ready to store once its recipient has an organisation id. */
export type DisclosureDraft = Omit<DisclosureRecord, 'recipient_id' | 'run_id'> & { recipient: OrganisationInput }
export type OverrideDraft = Omit<OverrideEventRecord, 'recipient_id' | 'run_id'> & { recipient: OrganisationInput | null }

export type AuditEventMapping =
  | { error: string }
  /** Read, understood, and not something the ledger records (a clinician viewing a record). */
  | { skip: string }
  | { disclosure: DisclosureDraft | null; override: OverrideDraft | null }

const SOURCE_ROLE_ID = '110153'
const DESTINATION_ROLE_ID = '110152'
const EXPORT = '110106'
const SECURITY_ALERT = '110113'
const EMERGENCY_OVERRIDE_STARTED = '110127'
const EMERGENCY_OVERRIDE_STOPPED = '110128'
const LIFECYCLE_DISCLOSURE = '11'

const is = (c: Coding | undefined, system: string, code: string) => c?.system === system && c?.code === code
const agentTyped = (agent: AuditEventAgent, code: string) => codingsOf([agent.type]).some((c) => is(c, DCM, code))
/** A Coding whose system is absent still counts when its code is unambiguous in context. */
const isLoosely = (c: Coding | undefined, system: string, code: string) => c?.code === code && (c.system ?? system) === system
const PERSONAL_REFERENCE = /(^|\/)(Patient|RelatedPerson|Person)\//

/**
 * Maps one R4 AuditEvent to what the ledger stores: a disclosure, an override event, both (a
 * disclosure made by overriding consent), or nothing. A record that cannot be stored faithfully
 * comes back as { error } with the reason, to be quarantined; no code is ever guessed.
 */
export function mapAuditEvent(raw: unknown, ctx: MapContext): AuditEventMapping {
  const r5 = r5Reason(raw)
  if (r5) return { error: r5 }
  let event: AuditEvent
  if (isAuditEvent(raw)) event = raw
  else {
    const parsed = AuditEventSchema.safeParse(raw)
    if (!parsed.success) return { error: describeInvalid('AuditEvent', parsed.error) }
    event = parsed.data
  }

  const purposeCodings = [...codingsOf(event.purposeOfEvent), ...event.agent.flatMap((a) => codingsOf(a.purposeOfUse))]
  const overrideReason = purposeCodings.find((c) => c.system === V3_ACT_REASON && OVERRIDE_REASONS.has(c.code ?? ''))?.code ?? null
  const breakGlass = purposeCodings.some((c) => is(c, V3_ACT_REASON, 'BTG'))
  const recipientAgent = event.agent.find((a) => agentTyped(a, DESTINATION_ROLE_ID))
  const alert = securityAlertKind(event)
  const disclosure = alert === null && isDisclosure(event, recipientAgent)
  const overrideKind = alert ?? (breakGlass ? 'break_glass' : overrideReason ? 'consent_override' : null)
  if (!disclosure && !overrideKind) return { skip: 'neither a disclosure nor an override' }

  const patient = findPatient(event.entity ?? [], ctx)
  if ('error' in patient) return patient
  const legalBasis = findLegalBasis(purposeCodings, ctx.codes)
  if ('error' in legalBasis) return legalBasis
  const actor = actingAgent(event, recipientAgent)
  const actorId = actorName(actor, ctx)
  const actorRole = actor ? storableText(roleOf(actor), ctx) : null
  const common = {
    practice_id: ctx.practiceId,
    source_id: ctx.sourceId,
    source_version: storableId(event.meta?.versionId ?? event.meta?.lastUpdated ?? null, ctx),
    occurred_at: toUtcIso(event.period?.start ?? event.recorded)!,
    patient_pseudonym: patient.pseudonym,
    legal_basis: legalBasis.code,
  }

  let disclosureDraft: DisclosureDraft | null = null
  if (disclosure) {
    if (!recipientAgent) return { error: 'disclosure has no recipient agent (agent.type DCM#110152 "Destination Role ID")' }
    const recipient = recipientOf(recipientAgent, ctx)
    if ('error' in recipient) return recipient
    const purpose = findPurpose(purposeCodings, ctx.codes)
    if ('error' in purpose) return purpose
    disclosureDraft = {
      ...common,
      source_record_id: storableId(event.id, ctx)!,
      recipient: recipient.recipient,
      purpose: purpose.purpose,
      purpose_code: purpose.code,
      data_level: dataLevel(event),
      data_description: storableText(dataDescription(event.entity ?? [], patient.entity), ctx),
      disclosed_by_role: actorRole,
      disclosed_by: actorId,
    }
  }

  const override: OverrideDraft | null = overrideKind
    ? {
        ...common,
        // One source record, two ledger records: the disclosure keeps the id, the override gets a suffix.
        source_record_id: storableId(disclosure ? `${event.id}#override` : event.id, ctx)!,
        kind: overrideKind,
        reason_code: overrideReason,
        purpose_code:
          disclosureDraft?.purpose_code ??
          purposeCodings.find((c) => c.system !== LEGAL_BASIS_SYSTEM && !OVERRIDE_REASONS.has(c.code ?? ''))?.code ??
          null,
        actor_role: actorRole,
        actor: actorId,
        recipient: disclosureDraft?.recipient ?? null,
        description: storableText(
          [event.type.display, ...(event.subtype ?? []).map((s) => s.display)].filter(Boolean).join(': ') || null,
          ctx,
        ),
      }
    : null
  return { disclosure: disclosureDraft, override }
}

function securityAlertKind(event: AuditEvent): 'break_glass' | 'override_stopped' | null {
  if (!is(event.type, DCM, SECURITY_ALERT)) return null
  const subtypes = event.subtype ?? []
  if (subtypes.some((c) => is(c, DCM, EMERGENCY_OVERRIDE_STARTED))) return 'break_glass'
  if (subtypes.some((c) => is(c, DCM, EMERGENCY_OVERRIDE_STOPPED))) return 'override_stopped'
  return null
}

function isDisclosure(event: AuditEvent, recipientAgent: AuditEventAgent | undefined): boolean {
  const subtypes = event.subtype ?? []
  // IHE BALP PrivacyDisclosure (Source and Recipient).
  if (subtypes.some((c) => is(c, ISO_21089_LIFECYCLE, 'disclose'))) return true
  // HL7's R4 example-disclosure: an Export, subtype "Disclosure", a data entity with lifecycle 11.
  if (
    is(event.type, DCM, EXPORT) &&
    (subtypes.some((c) => c.code === 'Disclosure') ||
      (event.entity ?? []).some((e) => is(e.lifecycle, DICOM_AUDIT_LIFECYCLE, LIFECYCLE_DISCLOSURE)))
  ) {
    return true
  }
  // A destination agent marks a disclosure, but not on a RESTful operation: BALP records every
  // plain read with the answering server as the "destination", and a read is not a disclosure.
  return recipientAgent !== undefined && !is(event.type, AUDIT_EVENT_TYPE, 'rest')
}

/**
 * The patient: an entity with an NHS number first, then the entity in the Patient role, a
 * Person entity, or any entity pointing at a Patient (IHE BALP and the HL7 examples use these).
 */
function findPatient(entities: AuditEventEntity[], ctx: MapContext): { pseudonym: string; entity: AuditEventEntity } | { error: string } {
  const candidates = [
    ...entities.filter((e) => carriesNhsNumber(e.what)),
    ...entities.filter((e) => isLoosely(e.role, OBJECT_ROLE, '1')),
    ...entities.filter((e) => isLoosely(e.type, AUDIT_ENTITY_TYPE, '1')),
    ...entities.filter((e) => isPatientReference(e.what)),
  ]
  for (const entity of candidates) {
    const result = patientPseudonym(entity.what, ctx.pseudonymKey, ctx.sourceId)
    if (result) return 'error' in result ? result : { ...result, entity }
  }
  return { error: 'AuditEvent names no patient (no entity with an NHS number, in the Patient role, or referring to a Patient)' }
}

function findPurpose(codings: Coding[], codes: CodeTables): { purpose: string; code: string } | { error: string } {
  for (const c of codings) {
    const purpose = codes.purposeOf(c.system, c.code)
    if (purpose) return { purpose, code: c.code! }
  }
  const got = codings.filter((c) => c.system !== LEGAL_BASIS_SYSTEM).map(describeCoding)
  return {
    error: `AuditEvent has no purposeOfEvent code that maps to a known purpose (${got.length ? `got ${got.join(', ')}` : 'it has none'})`,
  }
}

function findLegalBasis(codings: Coding[], codes: CodeTables): { code: string | null } | { error: string } {
  const coding = codings.find((c) => c.system === LEGAL_BASIS_SYSTEM)
  if (!coding) return { code: null }
  if (!codes.legalBases.has(coding.code ?? ''))
    return { error: `legal basis "${quoteSafely(coding.code ?? '')}" is not a known legal basis (${LEGAL_BASIS_SYSTEM})` }
  return { code: coding.code! }
}

/**
 * Who received the data: an ODS code when the recipient has one, a name always. The recipient
 * type comes from our urn:sharing-ledger:recipient-type coding, else from the ODS code's shape.
 * A patient, relative or representative is stored as the recipient type alone, never by name
 * (decision 016); a name that reads as a person's with nothing to say who they are is not guessed.
 */
function recipientOf(agent: AuditEventAgent, ctx: MapContext): { recipient: OrganisationInput } | { error: string } {
  const codes = ctx.codes
  const identifier = agent.who?.identifier
  const ods = identifier?.system === ODS_ORGANISATION_SYSTEM ? (identifier.value ?? '').trim().toUpperCase() : undefined
  if (ods !== undefined && hasNhsNumber(ods))
    return { error: 'recipient ODS code holds ten digits that could be an NHS number (not shown)' }
  if (ods !== undefined && !/^[A-Z0-9]{3,10}$/.test(ods))
    return { error: `recipient ODS code "${quoteSafely(ods, 20)}" is not a valid ODS code` }
  const typeCoding = codingsOf([agent.type, ...(agent.role ?? [])]).find((c) => c.system === RECIPIENT_TYPE_SYSTEM)
  if (typeCoding && !codes.recipientTypes.has(typeCoding.code ?? '')) {
    return { error: `recipient type "${quoteSafely(typeCoding.code ?? '', 40)}" is not a known recipient type (${RECIPIENT_TYPE_SYSTEM})` }
  }
  const otherId = ods === undefined ? identifier?.value : undefined
  // BALP requires a network address on the recipient agent: the last resort for a name.
  const name = agent.who?.display ?? agent.name ?? otherId ?? agent.network?.address ?? ods
  const personal =
    typeCoding?.code === PATIENT_REPRESENTATIVE ||
    PERSONAL_REFERENCE.test(agent.who?.reference ?? '') ||
    carriesNhsNumber(agent.who) ||
    personSignal(name) === 'patient_or_representative'
  if (personal) return { recipient: { odsCode: null, name: PATIENT_REPRESENTATIVE_LABEL, recipientType: PATIENT_REPRESENTATIVE } }
  if (!name)
    return { error: 'recipient agent has no identifier, display name or network address, so there is no saying who received the data' }
  if (!ods && personSignal(name) === 'personal_name') {
    return {
      error:
        "recipient is named like a person (name not shown) and has no ODS code: send the organisation's ODS code, or the recipient type patient_representative",
    }
  }
  return {
    recipient: { odsCode: ods ?? null, name: storableText(name, ctx)!, recipientType: typeCoding?.code ?? recipientTypeFromOds(ods) },
  }
}

const PATIENT_REPRESENTATIVE = 'patient_representative'
/** The label recipient_types gives the type (db/migrations/20261123090000_reference_codes.ts). */
const PATIENT_REPRESENTATIVE_LABEL = 'The patient or their representative'

/** The recipient type an ODS code's shape implies (decision 006): practice A81001, ICB Q.., NHS England X26, trusts R... */
export function recipientTypeFromOds(ods: string | undefined): string {
  if (!ods) return 'other'
  if (ods === 'X26') return 'nhs_england'
  if (ODS_PRACTICE_PATTERN.test(ods)) return 'gp_practice'
  if (/^Q[A-Z0-9]{2}$/.test(ods)) return 'icb'
  if (/^R[A-Z0-9]{2,4}$/.test(ods)) return 'nhs_trust'
  return 'other'
}

/** Who acted, as stored: identifiers masked, and never a patient or relative by name. */
function actorName(actor: AuditEventAgent | undefined, ctx: MapContext): string | null {
  const id = actor?.who?.identifier?.value ?? actor?.who?.display ?? null
  if (id === null || namesPatientOrRelative(id)) return null
  return storableText(id, ctx)
}

/** The member of staff or system that made the disclosure: the requestor, else the source agent. Never a patient or relative. */
function actingAgent(event: AuditEvent, recipientAgent: AuditEventAgent | undefined): AuditEventAgent | undefined {
  const candidates = event.agent.filter(
    (a) => a !== recipientAgent && !PERSONAL_REFERENCE.test(a.who?.reference ?? '') && !carriesNhsNumber(a.who),
  )
  return candidates.find((a) => a.requestor) ?? candidates.find((a) => agentTyped(a, SOURCE_ROLE_ID))
}

function roleOf(agent: AuditEventAgent): string | null {
  for (const role of agent.role ?? []) {
    const label = role.text ?? role.coding?.find((c) => c.display)?.display
    if (label) return label
  }
  // "Source Role ID" says which end of the transfer an agent is, not what job they do.
  const typeCodings = codingsOf([agent.type])
  if (typeCodings.some((c) => is(c, DCM, SOURCE_ROLE_ID) || is(c, DCM, DESTINATION_ROLE_ID))) return null
  return agent.type?.text ?? typeCodings.find((c) => c.display)?.display ?? null
}

function dataLevel(event: AuditEvent): DisclosureRecord['data_level'] {
  const labels = (event.meta?.security ?? []).filter((c) => c.system === V3_OBSERVATION_VALUE).map((c) => c.code)
  if (labels.includes('ANONYED')) return 'anonymised'
  if (labels.includes('PSEUDED')) return 'pseudonymised'
  return 'identifiable'
}

/** What was disclosed, from the data entities. A patient entity's names are never used. */
function dataDescription(entities: AuditEventEntity[], patientEntity: AuditEventEntity | undefined): string | null {
  for (const e of entities) {
    if (e === patientEntity) continue
    const label = e.description ?? e.name ?? (isPatientReference(e.what) ? undefined : e.what?.display)
    if (label) return label
  }
  return null
}
