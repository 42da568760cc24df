import type { Db } from '../../db/client.js'

// The commissioner report set's reads (reports/commissioner-set.ts decides what to publish).

/** The requested practices' ICB codes. */
export async function practiceIcbs(db: Db, practiceIds: number[]): Promise<Array<{ id: number; icbCode: string | null }>> {
  return db('practices').whereIn('id', practiceIds).select('id', 'icb_code as icbCode')
}

/** Every practice of the ICB, by id. */
export async function icbPracticeIds(db: Db, icbCode: string): Promise<number[]> {
  return (await db('practices').where({ icb_code: icbCode }).orderBy('id').pluck('id')).map(Number)
}

export interface SetPractice {
  id: number
  odsCode: string
  name: string
  listSize: number | null
  listSizeAsOf: string | null
}

/** The practices with their list size, by ODS code. */
export async function setPractices(db: Db, practiceIds: number[]): Promise<SetPractice[]> {
  return (
    await db('practices')
      .whereIn('id', practiceIds)
      .orderBy('ods_code')
      .select(
        'id',
        'ods_code as odsCode',
        'name',
        'list_size as listSize',
        db.raw(`to_char(list_size_as_of, 'YYYY-MM-DD') as "listSizeAsOf"`),
      )
  ).map((p: SetPractice) => ({ ...p, id: Number(p.id) }))
}

/** Disclosures per practice, sub-period (index into `subStarts`), purpose and recipient type. */
export interface DisclosureBucket {
  practiceId: number
  sub: number
  purpose: string
  type: string
  n: number
}

/** Disclosures from `from` to `to` (days, inclusive), bucketed by the sub-periods starting at `subStarts`. */
export async function disclosureBuckets(
  db: Db,
  practiceIds: number[],
  subStarts: string[],
  from: string,
  to: string,
): Promise<DisclosureBucket[]> {
  const { rows } = await db.raw(
    `SELECT dd.practice_id AS "practiceId", width_bucket(dd.day, ?::date[]) - 1 AS sub, dd.purpose, o.recipient_type AS "type",
            sum(dd.disclosures)::int AS n
       FROM disclosure_daily dd JOIN organisations o ON o.id = dd.recipient_id
      WHERE dd.practice_id = ANY(?) AND dd.day >= ?::date AND dd.day <= ?::date
      GROUP BY 1, 2, 3, 4`,
    [`{${subStarts.join(',')}}`, practiceIds, from, to],
  )
  return rows
}

/** The labels of the given codes in a code table, by label. */
export async function codeLabels(db: Db, table: 'purposes' | 'recipient_types', codes: string[]): Promise<Map<string, string>> {
  return new Map(
    (await db(table).whereIn('code', codes).orderBy('label').select('code', 'label')).map(
      (r: { code: string; label: string }) => [r.code, r.label] as const,
    ),
  )
}

/**
 * What collection can speak for, per practice: from the first disclosure ever collected for
 * the practice to the later of its newest disclosure and its last successful collection.
 */
export async function collectionCoverage(
  db: Db,
  practiceIds: number[],
): Promise<Array<{ id: number; first: string | null; last: string | null }>> {
  const { rows } = await db.raw(
    `SELECT p.id,
            (SELECT to_char(min(day), 'YYYY-MM-DD') FROM disclosure_daily d WHERE d.practice_id = p.id AND d.disclosures > 0) AS first,
            (SELECT to_char(greatest(
               (SELECT max(day) FROM disclosure_daily d WHERE d.practice_id = p.id AND d.disclosures > 0),
               (SELECT max((r.finished_at AT TIME ZONE 'Europe/London')::date) FROM job_runs r JOIN sources s ON s.id = r.source_id
                 WHERE s.practice_id = p.id AND r.status = 'completed')), 'YYYY-MM-DD')) AS last
       FROM practices p WHERE p.id = ANY(?)`,
    [practiceIds],
  )
  return rows
}
