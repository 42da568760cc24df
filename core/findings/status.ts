import type { Db } from '../../db/client.js'
import type { FindingStatus } from '../../db/queries/findings.js'

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
