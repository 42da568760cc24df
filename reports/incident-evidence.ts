import { SOURCE_KIND_LABELS } from '../core/labels.js'
import {
  evidenceAgreement,
  evidenceChoice,
  evidenceDisclosure,
  evidenceOrganisation,
  evidenceOverride,
  recipientAgreementIds,
  type EvidenceAgreement,
  type EvidenceDisclosure,
  type Db,
} from './queries/index.js'
import type { Labels } from './labels.js'
import { formatIsoDateTime, formatIsoDay } from '../core/format.js'

// The records an incident review's finding rests on, whatever their date (issue 15): the
// disclosure, the opt-out or dissent with the date it took effect and the date it was recorded,
// the override, the recipient, the agreement (or the fact that none covers the disclosure), each
// with the system it came from and its id in that system. The ±30-day timeline is context; this
// is the evidence.

export interface EvidenceRecord {
  /** What it is and its id here, e.g. "Disclosure 123". */
  record: string
  /** What it says, in labels. */
  what: string
  /** Its dates, in words ("took effect 2025-03-01 00:00; recorded 2026-03-20 08:00"). */
  dates: string
  /** Where it came from: the source system's name and kind, or "Sharing Ledger" for what was entered here. */
  source: string
  /** Its id in that system (source_record_id), or "" when there is none. */
  sourceRecordId: string
  /** The canonical values for the section digest. */
  canonical: unknown[]
}

type Item = { type: string; id: number; [k: string]: unknown }

const sourceName = (name: string | null, kind: string | null) =>
  name ? `${name}, ${SOURCE_KIND_LABELS[kind ?? ''] ?? kind}` : 'not recorded'

export async function loadEvidence(
  db: Db,
  labels: Labels,
  finding: { rule_id: string; evidence: unknown; practice_id: number | null },
): Promise<EvidenceRecord[]> {
  const raw = typeof finding.evidence === 'string' ? JSON.parse(finding.evidence) : finding.evidence
  const items = (Array.isArray(raw) ? raw : []) as Item[]
  const out: EvidenceRecord[] = []
  let disclosure: EvidenceDisclosure | undefined
  let agreementCited = false
  for (const item of items) {
    const id = Number(item.id)
    switch (item.type) {
      case 'disclosure': {
        const d = await evidenceDisclosure(db, id)
        if (!d) {
          out.push(missing('Disclosure', id))
          break
        }
        disclosure = d
        out.push({
          record: `Disclosure ${d.id}`,
          what: `To ${d.recipient}; ${labels.purpose(d.purpose)}; legal basis: ${labels.legalBasis(d.legal_basis)}; ${labels.dataLevel(d.data_level)}; patient ${d.patient_pseudonym}`,
          dates: `occurred ${formatIsoDateTime(d.occurred_at)}; collected ${formatIsoDateTime(d.collected_at)}`,
          source: sourceName(d.source_name, d.source_kind),
          sourceRecordId: d.source_record_id,
          canonical: [
            'disclosure',
            String(d.id),
            d.occurred_at,
            d.collected_at,
            d.recipient,
            d.purpose,
            d.legal_basis,
            d.data_level,
            d.patient_pseudonym,
            d.source_name,
            d.source_record_id,
          ],
        })
        break
      }
      case 'patient_choice': {
        const c = await evidenceChoice(db, id)
        if (!c) {
          out.push(missing('Patient choice', id))
          break
        }
        out.push({
          record: `Patient choice ${c.id}`,
          what: `${labels.choice(c.kind, c.decision)}${c.status === 'inactive' ? ' (marked inactive)' : ''}; patient ${c.patient_pseudonym}${c.code ? `; code ${c.code}` : ''}`,
          dates: `took effect ${formatIsoDateTime(c.effective_at)}; recorded ${formatIsoDateTime(c.collected_at)}`,
          source: sourceName(c.source_name, c.source_kind),
          sourceRecordId: c.source_record_id,
          canonical: [
            'patient_choice',
            String(c.id),
            c.kind,
            c.decision,
            c.status,
            c.effective_at,
            c.collected_at,
            c.patient_pseudonym,
            c.source_name,
            c.source_record_id,
          ],
        })
        break
      }
      case 'override': {
        const e = await evidenceOverride(db, id)
        if (!e) {
          out.push(missing('Override event', id))
          break
        }
        out.push({
          record: `Override event ${e.id}`,
          what: `${labels.overrideKind(e.kind)}${e.reason_code ? `; reason: ${labels.overrideReason(e.reason_code)}` : ''}; patient ${e.patient_pseudonym}`,
          dates: `occurred ${formatIsoDateTime(e.occurred_at)}; collected ${formatIsoDateTime(e.collected_at)}`,
          source: sourceName(e.source_name, e.source_kind),
          sourceRecordId: e.source_record_id,
          canonical: [
            'override',
            String(e.id),
            e.occurred_at,
            e.collected_at,
            e.kind,
            e.reason_code,
            e.patient_pseudonym,
            e.source_name,
            e.source_record_id,
          ],
        })
        break
      }
      case 'organisation': {
        const o = await evidenceOrganisation(db, id)
        if (!o) {
          out.push(missing('Organisation', id))
          break
        }
        out.push({
          record: `Recipient ${o.id}`,
          what: `${o.name}${o.ods_code ? ` (ODS ${o.ods_code})` : ''}; ${labels.recipientType(o.recipient_type)}`,
          dates: `first recorded ${formatIsoDateTime(o.created_at)}`,
          source: 'Sharing Ledger (organisation register)',
          sourceRecordId: o.ods_code ?? '',
          canonical: ['organisation', String(o.id), o.name, o.ods_code, o.recipient_type],
        })
        break
      }
      case 'agreement': {
        agreementCited = true
        const a = await evidenceAgreement(db, id)
        out.push(a ? agreementRecord(labels, a, 'Agreement') : missing('Agreement', id))
        break
      }
      default:
        out.push({
          record: `${item.type} ${id}`,
          what: '',
          dates: '',
          source: 'Sharing Ledger',
          sourceRecordId: '',
          canonical: [item.type, String(id)],
        })
    }
  }
  // The missing agreement: say what the recipient's agreements are (or that there are none).
  if (finding.rule_id === 'no_agreement' && disclosure && !agreementCited) {
    const ids = await recipientAgreementIds(db, disclosure.recipient_id)
    if (ids.length === 0)
      out.push({
        record: 'Data sharing agreement',
        what: `None: no data sharing agreement with ${disclosure.recipient} is recorded, for any practice or purpose.`,
        dates: '',
        source: 'Sharing Ledger (agreements register)',
        sourceRecordId: '',
        canonical: ['agreement', null],
      })
    for (const id of ids)
      out.push(agreementRecord(labels, (await evidenceAgreement(db, id))!, 'Agreement with the recipient (does not cover this disclosure)'))
  }
  return out
}

function agreementRecord(labels: Labels, a: EvidenceAgreement, title: string): EvidenceRecord {
  const purposes = a.purposes ? String(a.purposes).split(',').map(labels.purpose).join('; ') : 'no purpose'
  return {
    record: `${title} ${a.reference}`,
    what: `${labels.dataLevel(a.data_level)} data for ${purposes}; practices ${a.practices ?? 'none'}`,
    dates: `valid ${a.from_day} to ${a.to_day ?? 'no end date'}; recorded ${formatIsoDay(a.created_at)}`,
    source: 'Sharing Ledger (agreements register)',
    sourceRecordId: a.reference,
    canonical: ['agreement', String(a.id), a.reference, a.data_level, a.from_day, a.to_day, a.purposes, a.practices],
  }
}

function missing(kind: string, id: number): EvidenceRecord {
  return {
    record: `${kind} ${id}`,
    what: 'No longer recorded (removed since the finding was made).',
    dates: '',
    source: '',
    sourceRecordId: '',
    canonical: [kind, String(id), null],
  }
}
