import type { Db } from '../client.js'
import type { WriteCounts } from './records.js'

export interface OptOutCountRecord {
  practice_id: number
  kind: 'ndop' | 'type1'
  origin: 'ndop_publication' | 'practice_system'
  as_of: string
  opt_outs: number
  list_size: number
  source_id: number | null
  run_id: number | null
}

/**
 * Idempotent batch upsert on (practice_id, kind, origin, as_of): the same figures again are a
 * duplicate and left untouched; different figures for the same day are a correction and replace
 * the old ones.
 */
export async function upsertOptOutCounts(db: Db, records: OptOutCountRecord[]): Promise<WriteCounts> {
  if (records.length === 0) return { inserted: 0, updated: 0, duplicates: 0 }
  // The same key twice in one statement would make ON CONFLICT touch a row twice: keep the last.
  const unique = new Map<string, OptOutCountRecord>()
  for (const r of records) unique.set(`${r.practice_id}|${r.kind}|${r.origin}|${r.as_of}`, r)
  const result = await db('practice_optout_counts')
    .insert([...unique.values()])
    .onConflict(['practice_id', 'kind', 'origin', 'as_of'])
    .merge(['opt_outs', 'list_size', 'source_id', 'run_id'])
    .where(
      db.raw(
        '(practice_optout_counts.opt_outs, practice_optout_counts.list_size) IS DISTINCT FROM (excluded.opt_outs, excluded.list_size)',
      ),
    )
    .returning(db.raw('(xmax = 0) AS inserted') as unknown as string)
  const inserted = (result as Array<{ inserted: boolean }>).filter((r) => r.inserted).length
  const updated = result.length - inserted
  return { inserted, updated, duplicates: records.length - inserted - updated }
}

/**
 * Sets each practice's list size from a dated figure, unless the practice already holds a
 * newer one: importing last year's file after this year's must not wind the list size back.
 */
export async function recordPracticeListSizes(db: Db, sizes: Array<{ practiceId: number; listSize: number; asOf: string }>): Promise<void> {
  const newest = new Map<number, { listSize: number; asOf: string }>()
  for (const s of sizes) {
    const seen = newest.get(s.practiceId)
    if (!seen || seen.asOf <= s.asOf) newest.set(s.practiceId, s)
  }
  if (newest.size === 0) return
  const values = [...newest].map(([practiceId, s]) => [practiceId, s.listSize, s.asOf])
  await db.raw(
    `UPDATE practices p SET list_size = v.list_size, list_size_as_of = v.as_of
       FROM (VALUES ${values.map(() => '(?::int, ?::int, ?::date)').join(', ')}) AS v(id, list_size, as_of)
      WHERE p.id = v.id AND (p.list_size_as_of IS NULL OR p.list_size_as_of <= v.as_of)`,
    values.flat(),
  )
}
