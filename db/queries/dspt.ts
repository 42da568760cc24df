import type { Db } from '../client.js'

/**
 * The latest report of each kind produced for exactly these practices or a set including them
 * (report_exports), up to `until` when given: the DSPT evidence index shows when each was last made.
 */
export async function latestReportsByKind(db: Db, practiceIds: number[], until?: Date): Promise<Map<string, Date>> {
  const { rows } = await db.raw(
    `SELECT kind, max(generated_at) AS at
       FROM report_exports
      WHERE (params->'practiceIds') @> to_jsonb(?::int[]) AND (?::timestamptz IS NULL OR generated_at <= ?::timestamptz)
      GROUP BY kind`,
    [practiceIds, until ?? null, until ?? null],
  )
  return new Map((rows as Array<{ kind: string; at: Date }>).map((r) => [r.kind, new Date(r.at)]))
}
