import type { Db } from '../../db/client.js'
import type { FindingStatus } from '../../db/queries/findings.js'
import { lockRule } from './watermarks.js'

export class FindingStatusError extends Error {}

/**
 * A person changes a finding's status (accept or resolve with a reason, or reopen), recorded in
 * finding_events with who and why. The row is locked, so two guardians acting at once are
 * recorded one after the other. Setting the status it already has changes nothing and returns
 * { changed: false }. Throws FindingStatusError when the finding does not exist or the reason
 * is empty. Role and practice checks are the caller's (app/lib).
 *
 * The rules engine respects what people decide: an accepted finding stays accepted, and a
 * finding a person resolved is not reopened by a later refresh (only one the system resolved is).
 */
export async function setFindingStatus(
  db: Db,
  id: number,
  status: FindingStatus,
  reason: string,
  userId: number | null,
): Promise<{ changed: boolean; from: FindingStatus; to: FindingStatus }> {
  const why = reason.trim()
  if (!why) throw new FindingStatusError('Give a reason for the change.')
  return db.transaction(async (trx) => {
    const row = await trx('findings').where({ id }).forUpdate().first('status')
    if (!row) throw new FindingStatusError(`There is no finding ${id}.`)
    const from = row.status as FindingStatus
    if (from === status) return { changed: false, from, to: status }
    await trx('findings').where({ id }).update({ status, updated_at: trx.fn.now() })
    await trx('finding_events').insert({ finding_id: id, from_status: from, to_status: status, reason: why, by_user_id: userId })
    return { changed: true, from, to: status }
  })
}

/** A case: a rule, a practice and the thing to fix (decision 036), in the status it is shown in. */
export interface CaseRef {
  ruleId: string
  practiceId: number
  caseKey: string
  from: FindingStatus
}

/**
 * A person decides for a whole case: every finding of the case still in status `from` moves to
 * `status`, and each gets its own finding_events row with who and why, in ONE statement (the
 * ledger's statement-level trigger chains every event). The rule's advisory lock is taken first,
 * so a refresh of the same rule waits rather than deadlocking on the same rows. Returns how many
 * findings changed (0 when none was left in `from`).
 */
export async function setCaseStatus(
  db: Db,
  c: CaseRef,
  status: FindingStatus,
  reason: string,
  userId: number | null,
): Promise<{ changed: number; from: FindingStatus; to: FindingStatus }> {
  const why = reason.trim()
  if (!why) throw new FindingStatusError('Give a reason for the change.')
  if (c.from === status) return { changed: 0, from: c.from, to: status }
  return db.transaction(async (trx) => {
    await lockRule(trx, c.ruleId)
    const { rows } = await trx.raw(
      `WITH target AS (
         SELECT f.id FROM findings f
          WHERE f.rule_id = ? AND f.practice_id = ? AND f.case_key = ? AND f.status = ?
          ORDER BY f.id FOR UPDATE),
       changed AS (
         UPDATE findings f SET status = ?, updated_at = now() FROM target t WHERE f.id = t.id RETURNING f.id),
       events AS (
         INSERT INTO finding_events (finding_id, from_status, to_status, reason, by_user_id, at)
         SELECT id, ?, ?, ?, ?, now() FROM changed ORDER BY id RETURNING 1)
       SELECT count(*)::int AS n FROM events`,
      [c.ruleId, c.practiceId, c.caseKey, c.from, status, c.from, status, why, userId],
    )
    return { changed: Number(rows[0].n), from: c.from, to: status }
  })
}
