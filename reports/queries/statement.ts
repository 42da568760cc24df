import type { Db } from '../../db/client.js'
import { whereScopeInstants, type Scope } from '../../db/queries/scope.js'

// The disclosure statement's reads: one patient (by pseudonym) in the scope.

export interface StatementRow {
  id: string
  occurred_at: Date
  recipient: string
  recipient_ods: string | null
  recipient_type: string
  purpose: string
  opt_out_applies: boolean
  legal_basis: string | null
  exempts_opt_out: boolean | null
  data_level: string
  data_description: string | null
  ndop: string | null
  type1: string | null
}

/** Every disclosure of the patient in the scope, oldest first, with the opt-outs in force that day. */
export async function statementDisclosures(db: Db, scope: Scope, pseudonym: string): Promise<StatementRow[]> {
  const choice = (kind: 'ndop' | 'type1') =>
    db.raw(
      `(SELECT c.decision FROM patient_choices c WHERE c.practice_id = d.practice_id AND c.patient_pseudonym = d.patient_pseudonym
          AND c.kind = ? AND c.status = 'active' AND c.effective_at <= d.occurred_at ORDER BY c.effective_at DESC, c.id DESC LIMIT 1) AS ${kind}`,
      [kind],
    )
  return whereScopeInstants(db('disclosures as d'), scope, 'd.practice_id', 'd.occurred_at')
    .where('d.patient_pseudonym', pseudonym)
    .join('organisations as o', 'o.id', 'd.recipient_id')
    .join('recipient_types as rt', 'rt.code', 'o.recipient_type')
    .join('purposes as pu', 'pu.code', 'd.purpose')
    .leftJoin('legal_bases as lb', 'lb.code', 'd.legal_basis')
    .select(
      'd.id',
      'd.occurred_at',
      'o.name as recipient',
      'o.ods_code as recipient_ods',
      'rt.label as recipient_type',
      'pu.label as purpose',
      'pu.opt_out_applies',
      'lb.label as legal_basis',
      'lb.exempts_opt_out',
      'd.data_level',
      'd.data_description',
      choice('ndop'),
      choice('type1'),
    )
    .orderBy([{ column: 'd.occurred_at' }, { column: 'd.id' }])
}

/** An override event of the patient in the scope, with the review that stands (if any). */
export interface StatementOverride {
  id: string
  occurred_at: Date
  kind: string
  actor_role: string | null
  recipient: string | null
  verdict: string | null
  signed_at: Date | null
}

/** The patient's override events in the scope, oldest first. */
export async function statementOverrides(db: Db, scope: Scope, pseudonym: string): Promise<StatementOverride[]> {
  return (
    whereScopeInstants(db('override_events as e'), scope, 'e.practice_id', 'e.occurred_at')
      .where('e.patient_pseudonym', pseudonym)
      .leftJoin('organisations as o', 'o.id', 'e.recipient_id')
      // the review that stands: the latest one nobody superseded
      .joinRaw(
        `LEFT JOIN LATERAL (SELECT r.verdict, r.signed_at FROM override_reviews r WHERE r.override_event_id = e.id
         AND NOT EXISTS (SELECT 1 FROM override_reviews n WHERE n.supersedes_id = r.id) ORDER BY r.signed_at DESC LIMIT 1) AS standing ON true`,
      )
      .select('e.id', 'e.occurred_at', 'e.kind', 'e.actor_role', 'o.name as recipient', 'standing.verdict', 'standing.signed_at')
      .orderBy([{ column: 'e.occurred_at' }, { column: 'e.id' }])
  )
}
