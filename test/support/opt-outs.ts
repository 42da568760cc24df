import type { Db } from '../../db/client.js'

/**
 * The raw truth the opt-out figures must equal: patients whose latest NDOP (or Type 1) choice
 * dated by the end of London day `asOf` is an active deny, straight from patient_choices.
 */
export async function directOptOutCount(db: Db, practiceId: number, asOf: string): Promise<{ ndop: number; type1: number }> {
  const { rows } = await db.raw(
    `SELECT kind, count(*) FILTER (WHERE decision = 'deny' AND status = 'active')::int AS n FROM (
       SELECT DISTINCT ON (patient_pseudonym, kind) kind, decision, status
         FROM patient_choices
        WHERE practice_id = ? AND kind IN ('ndop', 'type1')
          AND effective_at < (?::date + 1)::timestamp AT TIME ZONE 'Europe/London'
        ORDER BY patient_pseudonym, kind, effective_at DESC, id DESC
     ) latest GROUP BY kind`,
    [practiceId, asOf],
  )
  const byKind = Object.fromEntries(rows.map((r: { kind: string; n: number }) => [r.kind, Number(r.n)]))
  return { ndop: byKind.ndop ?? 0, type1: byKind.type1 ?? 0 }
}
