import type { Db } from '../../db/client.js'

// The records a finding cites, one by id, each with the source system it came from (the
// incident review's evidence). A record removed since the finding was made reads as undefined.

/** Where a collected record came from. */
interface Provenance {
  source_name: string | null
  source_kind: string | null
  source_record_id: string
}

export interface EvidenceDisclosure extends Provenance {
  id: string
  occurred_at: Date
  collected_at: Date
  recipient_id: number
  recipient: string
  purpose: string
  legal_basis: string | null
  data_level: string
  patient_pseudonym: string
}

export async function evidenceDisclosure(db: Db, id: number): Promise<EvidenceDisclosure | undefined> {
  return db('disclosures as d')
    .join('organisations as o', 'o.id', 'd.recipient_id')
    .leftJoin('sources as s', 's.id', 'd.source_id')
    .where('d.id', id)
    .first('d.*', 'o.name as recipient', 's.name as source_name', 's.kind as source_kind')
}

export interface EvidenceChoice extends Provenance {
  id: string
  kind: string
  decision: string
  status: string
  code: string | null
  patient_pseudonym: string
  effective_at: Date
  collected_at: Date
}

export async function evidenceChoice(db: Db, id: number): Promise<EvidenceChoice | undefined> {
  return db('patient_choices as c')
    .leftJoin('sources as s', 's.id', 'c.source_id')
    .where('c.id', id)
    .first('c.*', 's.name as source_name', 's.kind as source_kind')
}

export interface EvidenceOverride extends Provenance {
  id: string
  kind: string
  reason_code: string | null
  patient_pseudonym: string
  occurred_at: Date
  collected_at: Date
}

export async function evidenceOverride(db: Db, id: number): Promise<EvidenceOverride | undefined> {
  return db('override_events as e')
    .leftJoin('sources as s', 's.id', 'e.source_id')
    .where('e.id', id)
    .first('e.*', 's.name as source_name', 's.kind as source_kind')
}

export interface EvidenceOrganisation {
  id: number
  name: string
  ods_code: string | null
  recipient_type: string
  created_at: Date
}

export async function evidenceOrganisation(db: Db, id: number): Promise<EvidenceOrganisation | undefined> {
  return db('organisations').where('id', id).first()
}

export interface EvidenceAgreement {
  id: number
  reference: string
  data_level: string
  created_at: Date
  from_day: string
  to_day: string | null
  /** Purpose codes, comma-separated and sorted; null for none. */
  purposes: string | null
  practices: string | null
}

export async function evidenceAgreement(db: Db, id: number): Promise<EvidenceAgreement | undefined> {
  return db('data_sharing_agreements as a')
    .where('a.id', id)
    .first(
      'a.*',
      db.raw(`to_char(a.valid_from, 'YYYY-MM-DD') as from_day`),
      db.raw(`to_char(a.valid_to, 'YYYY-MM-DD') as to_day`),
      db.raw(`(SELECT string_agg(purpose, ',' ORDER BY purpose) FROM agreement_purposes WHERE agreement_id = a.id) as purposes`),
      db.raw(
        `(SELECT string_agg(p.ods_code, ', ' ORDER BY p.ods_code) FROM agreement_practices ap JOIN practices p ON p.id = ap.practice_id WHERE ap.agreement_id = a.id) as practices`,
      ),
    )
}

/** The ids of every agreement with the recipient, oldest first. */
export async function recipientAgreementIds(db: Db, recipientId: number): Promise<number[]> {
  return db('data_sharing_agreements').where('recipient_id', recipientId).orderBy('valid_from').pluck('id')
}
