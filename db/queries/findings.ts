import type { Db } from '../client.js'
import type { Scope } from './scope.js'

export interface FindingFilter {
  status?: 'open' | 'accepted' | 'resolved'
  severity?: 'high' | 'medium' | 'low'
}

export interface FindingListItem {
  id: number
  ruleId: string
  severity: 'high' | 'medium' | 'low'
  practiceOds: string | null
  summary: string
  status: 'open' | 'accepted' | 'resolved'
  openedAt: Date
  updatedAt: Date
}

/** Findings of the viewer's practices, most severe and newest first; the period applies to when they were opened. */
export async function listFindings(db: Db, scope: Scope, filter: FindingFilter = {}): Promise<FindingListItem[]> {
  const q = db('findings as f')
    .leftJoin('practices as p', 'p.id', 'f.practice_id')
    .whereIn('f.practice_id', scope.practiceIds)
    .select(
      'f.id',
      'f.rule_id as ruleId',
      'f.severity',
      'p.ods_code as practiceOds',
      'f.summary',
      'f.status',
      'f.opened_at as openedAt',
      'f.updated_at as updatedAt',
    )
    .orderByRaw(`CASE f.severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, f.opened_at DESC, f.id DESC`)
    .limit(500)
  if (filter.status) q.where('f.status', filter.status)
  if (filter.severity) q.where('f.severity', filter.severity)
  if (scope.from) q.whereRaw(`f.opened_at >= (?::date::timestamp AT TIME ZONE 'Europe/London')`, [scope.from])
  if (scope.to) q.whereRaw(`f.opened_at < ((?::date + 1)::timestamp AT TIME ZONE 'Europe/London')`, [scope.to])
  return q
}
