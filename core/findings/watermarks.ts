import type { Db } from '../../db/client.js'

/**
 * What changed since a rule's last evaluation: each rule keeps a watermark row (how far the
 * collected records were checked, and digests of what it reads), so the next refresh re-checks
 * only what is new (see evaluate.ts).
 */

/**
 * The instant up to which every record is either visible now or will be stamped later: the
 * start of the oldest other transaction still open in this database, if it began before now.
 * A record's collected_at is its transaction's start (now()), so a batch committing after this
 * evaluation still has collected_at >= the watermark and is checked next time.
 */
export async function collectedThrough(db: Db): Promise<string> {
  const { rows } = await db.raw(
    `SELECT least(now(), (SELECT min(xact_start) FROM pg_stat_activity
                            WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL)) AS t`,
  )
  return new Date(rows[0].t).toISOString()
}

export async function databaseNow(db: Db): Promise<string> {
  const { rows } = await db.raw(`SELECT now() AS t`)
  return new Date(rows[0].t).toISOString()
}

/** A digest of each recipient's agreements (dates, level, purposes, practices): a changed digest means its disclosures need checking again. */
export async function agreementDigests(db: Db): Promise<Record<string, string>> {
  const { rows } = await db.raw(`
    SELECT a.recipient_id,
           md5(string_agg(concat_ws('|', a.id, a.data_level, a.valid_from, a.valid_to, pu.list, pr.list), ';' ORDER BY a.id)) AS digest
      FROM data_sharing_agreements a
      LEFT JOIN LATERAL (SELECT string_agg(purpose, ',' ORDER BY purpose) AS list FROM agreement_purposes WHERE agreement_id = a.id) pu ON true
      LEFT JOIN LATERAL (SELECT string_agg(practice_id::text, ',' ORDER BY practice_id) AS list FROM agreement_practices WHERE agreement_id = a.id) pr ON true
     GROUP BY a.recipient_id`)
  return Object.fromEntries((rows as Array<{ recipient_id: number; digest: string }>).map((r) => [String(r.recipient_id), r.digest]))
}

/** A digest of the reference codes the rules read: a change (an opt-out now applying to a purpose) means a full re-evaluation. */
export async function referenceDigest(db: Db): Promise<string> {
  const { rows } = await db.raw(`
    SELECT md5(coalesce((SELECT string_agg(concat_ws('|', code, opt_out_applies, prohibited), ';' ORDER BY code) FROM purposes), '')
               || '#' || coalesce((SELECT string_agg(concat_ws('|', code, exempts_opt_out), ';' ORDER BY code) FROM legal_bases), '')) AS digest`)
  return rows[0].digest
}

export interface WatermarkRow {
  rule_id: string
  fingerprint: string
  collected_through: Date
  evaluated_at: Date
  state: { agreements?: Record<string, string> }
}

export async function getWatermark(db: Db, ruleId: string): Promise<WatermarkRow | undefined> {
  return db('findings_watermarks').where({ rule_id: ruleId }).first()
}

export async function saveWatermark(
  db: Db,
  w: { ruleId: string; fingerprint: string; collectedThrough: string; evaluatedAt: string; state: WatermarkRow['state'] },
): Promise<void> {
  await db('findings_watermarks')
    .insert({
      rule_id: w.ruleId,
      fingerprint: w.fingerprint,
      collected_through: w.collectedThrough,
      evaluated_at: w.evaluatedAt,
      state: JSON.stringify(w.state),
      updated_at: db.fn.now(),
    })
    .onConflict('rule_id')
    .merge()
}

/** Serialises evaluations of one rule across processes; released when the transaction ends. */
export async function lockRule(trx: Db, ruleId: string): Promise<void> {
  await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?), hashtext(?))', ['sharing-ledger:findings', ruleId])
}
