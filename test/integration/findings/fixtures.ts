import type { Db } from '../../../db/client.js'
import { addAgreement } from '../../../db/queries/agreements.js'
import { ensureOrganisation } from '../../../db/queries/organisations.js'
import { ensurePractice, type PracticeRow } from '../../../db/queries/practices.js'
import { upsertDisclosures, upsertOverrideEvents, upsertPatientChoices, type DisclosureRecord } from '../../../db/queries/records.js'
import { addSource, type SourceRow } from '../../../db/queries/sources.js'
import { createUser } from '../../../db/queries/users.js'
import { evaluateFindings, type EvaluateOptions } from '../../../core/findings/evaluate.js'

/** A practice with one FHIR source, and helpers that write its records the way a collector would. */
export interface PracticeFixture {
  practice: PracticeRow
  source: SourceRow
  org(name: string, type: string, ods?: string | null): Promise<number>
  disclosure(d: Partial<DisclosureRecord> & { occurred_at: string; recipient_id: number; purpose: string }): Promise<number>
  choice(
    patient: string,
    kind: 'ndop' | 'type1' | 'record_sharing',
    effectiveAt: string,
    opts?: { decision?: 'deny' | 'permit'; status?: 'active' | 'inactive' },
  ): Promise<number>
  override(
    patient: string,
    occurredAt: string,
    opts?: { kind?: 'break_glass' | 'consent_override' | 'override_stopped'; sourceRecordId?: string; reason?: string },
  ): Promise<number>
  agreement(a: {
    recipientId: number
    purposes: string[]
    level: 'identifiable' | 'pseudonymised' | 'anonymised'
    from: string
    to?: string | null
    practiceIds?: number[]
  }): Promise<number>
}

let counter = 0
const next = () => ++counter

export async function practiceFixture(db: Db, ods: string, name = `Practice ${ods}`): Promise<PracticeFixture> {
  const practice = await ensurePractice(db, { odsCode: ods, name })
  const source = await addSource(db, {
    practiceId: practice.id,
    kind: 'fhir',
    name: `${ods} FHIR`,
    baseUrl: `http://127.0.0.1:1/${ods}/fhir`,
  })
  return {
    practice,
    source,
    org: (orgName, type, orgOds = null) => ensureOrganisation(db, { odsCode: orgOds, name: orgName, recipientType: type }),
    async disclosure(d) {
      const record: DisclosureRecord = {
        practice_id: practice.id,
        source_id: source.id,
        source_record_id: `ae-${next()}`,
        source_version: '1',
        patient_pseudonym: `P-TEST-${String(next()).padStart(4, '0')}-0000`,
        purpose_code: null,
        legal_basis: null,
        data_level: 'identifiable',
        data_description: null,
        disclosed_by_role: null,
        disclosed_by: null,
        run_id: null,
        ...d,
      }
      await upsertDisclosures(db, [record])
      return (await db('disclosures').where({ source_id: source.id, source_record_id: record.source_record_id }).first('id')).id
    },
    async choice(patient, kind, effectiveAt, opts = {}) {
      const id = `cn-${next()}`
      await upsertPatientChoices(db, [
        {
          practice_id: practice.id,
          source_id: source.id,
          source_record_id: id,
          source_version: '1',
          patient_pseudonym: patient,
          kind,
          decision: opts.decision ?? 'deny',
          effective_at: effectiveAt,
          code_system: null,
          code: null,
          status: opts.status ?? 'active',
          run_id: null,
        },
      ])
      return (await db('patient_choices').where({ source_id: source.id, source_record_id: id }).first('id')).id
    },
    async override(patient, occurredAt, opts = {}) {
      const id = opts.sourceRecordId ?? `ov-${next()}`
      await upsertOverrideEvents(db, [
        {
          practice_id: practice.id,
          source_id: source.id,
          source_record_id: id,
          source_version: '1',
          occurred_at: occurredAt,
          patient_pseudonym: patient,
          kind: opts.kind ?? 'break_glass',
          reason_code: opts.reason ?? 'OVRER',
          purpose_code: 'BTG',
          legal_basis: null,
          actor_role: 'GP',
          actor: 'staff-1',
          recipient_id: null,
          description: null,
          run_id: null,
        },
      ])
      return (await db('override_events').where({ source_id: source.id, source_record_id: id }).first('id')).id
    },
    async agreement(a) {
      const { id } = await addAgreement(db, {
        reference: `DSA-T-${next()}`,
        recipientId: a.recipientId,
        dataLevel: a.level,
        validFrom: a.from,
        validTo: a.to ?? null,
        purposes: a.purposes,
        practiceIds: a.practiceIds ?? [practice.id],
      })
      return id
    },
  }
}

export async function reviewer(db: Db): Promise<number> {
  const user = await createUser(db, {
    email: `guardian.${next()}@example.nhs.uk`,
    displayName: 'Dr Test Guardian',
    password: 'a long enough password',
    role: 'caldicott_guardian',
    practiceIds: [],
  })
  return user.id
}

export async function refresh(db: Db, options: EvaluateOptions = {}) {
  return evaluateFindings(db, options)
}

export interface FindingRow {
  id: number
  rule_id: string
  severity: string
  practice_id: number | null
  subject_key: string
  summary: string
  evidence: Array<{ type: string; id: number; [k: string]: unknown }>
  status: string
}

export async function findingOf(db: Db, rule: string, subjectKey: string): Promise<FindingRow | undefined> {
  return db('findings').where({ rule_id: rule, subject_key: subjectKey }).first()
}

/** The rules with an open finding about this subject. */
export async function openRulesFor(db: Db, subjectKey: string): Promise<string[]> {
  const rows = await db('findings').where({ subject_key: subjectKey, status: 'open' }).orderBy('rule_id').select('rule_id')
  return rows.map((r) => r.rule_id)
}

export async function eventsOf(db: Db, findingId: number) {
  return db('finding_events').where({ finding_id: findingId }).orderBy('id').select('from_status', 'to_status', 'reason', 'by_user_id')
}
