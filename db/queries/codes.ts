import { planOnce, type Db } from '../client.js'

// The code tables (seeded by migration 20261123090000, extended by administrators), read once per run.

/** Our own purpose codes, for sources (the register CSV) that send them directly. */
export const LOCAL_PURPOSE_SYSTEM = 'urn:sharing-ledger:purpose'

export interface PurposeRow {
  code: string
  label: string
  opt_out_applies: boolean
  prohibited: boolean
}

export async function listPurposes(db: Db): Promise<PurposeRow[]> {
  return db('purposes').orderBy('code')
}

export interface CodeLists {
  purposes: PurposeRow[]
  recipientTypes: Array<{ code: string; label: string }>
  legalBases: Array<{ code: string; label: string; exempts_opt_out: boolean }>
}

/**
 * The three code lists a filter bar or a report's glossary reads together, in one round trip:
 * a page view pays per query, not per row (decision 044). Each list is ordered by code, as the
 * single-list reads are.
 */
export async function listCodeLists(db: Db): Promise<CodeLists> {
  const { rows } = await planOnce(
    db.raw(
      `SELECT (SELECT coalesce(json_agg(json_build_object('code', code, 'label', label, 'opt_out_applies', opt_out_applies, 'prohibited', prohibited) ORDER BY code), '[]'::json) FROM purposes) AS purposes,
            (SELECT coalesce(json_agg(json_build_object('code', code, 'label', label) ORDER BY code), '[]'::json) FROM recipient_types) AS "recipientTypes",
            (SELECT coalesce(json_agg(json_build_object('code', code, 'label', label, 'exempts_opt_out', exempts_opt_out) ORDER BY code), '[]'::json) FROM legal_bases) AS "legalBases"`,
    ),
  )
  return rows[0] as CodeLists
}

export async function listPurposeCodeMap(db: Db, system?: string): Promise<Array<{ system: string; code: string; purpose: string }>> {
  const q = db('purpose_code_map').select('system', 'code', 'purpose').orderBy(['system', 'code'])
  if (system) q.where({ system })
  return q
}

export async function listChoiceCodeMap(
  db: Db,
): Promise<Array<{ system: string; code: string; kind: 'ndop' | 'type1' | 'record_sharing' | 'scr'; decision: 'deny' | 'permit' }>> {
  return db('choice_code_map').select('system', 'code', 'kind', 'decision').orderBy(['system', 'code'])
}

export async function listRecipientTypes(db: Db): Promise<Array<{ code: string; label: string }>> {
  return db('recipient_types').select('code', 'label').orderBy('code')
}

export async function listLegalBases(db: Db): Promise<Array<{ code: string; label: string; exempts_opt_out: boolean }>> {
  return db('legal_bases').select('code', 'label', 'exempts_opt_out').orderBy('code')
}
