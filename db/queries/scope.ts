import type { Knex } from 'knex'

/**
 * What every dashboard and report query is limited to: the practices the viewer may see
 * (decided once, in app/lib/access.server.ts) and an optional period of inclusive calendar
 * days in England. An empty practice list means nothing, never everything.
 */
export interface Scope {
  practiceIds: number[]
  from?: string
  to?: string
}

/** Limits a query on a roll-up with a `day` date column. */
export function whereScopeDays(q: Knex.QueryBuilder, scope: Scope, practiceColumn: string, dayColumn: string): Knex.QueryBuilder {
  q.whereIn(practiceColumn, scope.practiceIds)
  if (scope.from) q.where(dayColumn, '>=', scope.from)
  if (scope.to) q.where(dayColumn, '<=', scope.to)
  return q
}

/**
 * Limits a query on raw rows with a timestamptz column. The bounds are computed once as
 * instants (midnight in London), so the (practice_id, occurred_at) index does the work.
 */
export function whereScopeInstants(q: Knex.QueryBuilder, scope: Scope, practiceColumn: string, timeColumn: string): Knex.QueryBuilder {
  q.whereIn(practiceColumn, scope.practiceIds)
  if (scope.from) q.whereRaw(`${timeColumn} >= (?::date::timestamp AT TIME ZONE 'Europe/London')`, [scope.from])
  if (scope.to) q.whereRaw(`${timeColumn} < ((?::date + 1)::timestamp AT TIME ZONE 'Europe/London')`, [scope.to])
  return q
}
