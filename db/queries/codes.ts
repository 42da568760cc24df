import type { Db } from '../client.js'

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
