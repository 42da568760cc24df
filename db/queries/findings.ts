import type { Knex } from 'knex'
import type { Db } from '../client.js'
import type { Scope } from './scope.js'

export interface FindingFilter {
  status?: 'open' | 'accepted' | 'resolved'
  severity?: 'high' | 'medium' | 'low'
  rule?: string
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
  /** The case it belongs to (decision 036). */
  caseKey: string
}

/**
 * Findings of the viewer's practices: open ones first (the work to do, high severity at the top),
 * then the closed ones, each most severe and newest first; the period applies to when they were opened.
 */
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
      'f.case_key as caseKey',
    )
    .orderByRaw(
      `CASE f.status WHEN 'open' THEN 0 ELSE 1 END, CASE f.severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, f.opened_at DESC, f.id DESC`,
    )
    .limit(500)
  if (filter.status) q.where('f.status', filter.status)
  if (filter.severity) q.where('f.severity', filter.severity)
  if (filter.rule) q.where('f.rule_id', filter.rule)
  if (scope.from) q.whereRaw(`f.opened_at >= (?::date::timestamp AT TIME ZONE 'Europe/London')`, [scope.from])
  if (scope.to) q.whereRaw(`f.opened_at < ((?::date + 1)::timestamp AT TIME ZONE 'Europe/London')`, [scope.to])
  return q
}

// ---- Added for the rules engine (issue 6): details, history and status changes ---------------

export type FindingStatus = 'open' | 'accepted' | 'resolved'

/** One record a finding is about: { type: 'disclosure' | 'override' | 'patient_choice' | 'agreement' | 'organisation' | 'source' | 'job_run' | 'quarantine' | 'optout_count' | 'practice', id, ... }. */
export interface EvidenceItem {
  type: string
  id: number
  [detail: string]: unknown
}

export interface FindingDetail extends FindingListItem {
  practiceId: number | null
  subjectKey: string
  evidence: EvidenceItem[]
}

export interface FindingEvent {
  id: number
  fromStatus: FindingStatus | null
  toStatus: FindingStatus
  reason: string
  byUserId: number | null
  /** Display name of the person, or null when the system changed it. */
  byUser: string | null
  at: Date
}

const DETAIL_COLUMNS = [
  'f.id',
  'f.rule_id as ruleId',
  'f.severity',
  'f.practice_id as practiceId',
  'p.ods_code as practiceOds',
  'f.subject_key as subjectKey',
  'f.summary',
  'f.evidence',
  'f.status',
  'f.opened_at as openedAt',
  'f.updated_at as updatedAt',
  'f.case_key as caseKey',
]

/**
 * Findings with their evidence, most severe and newest first. Unlike listFindings this is not
 * tied to a viewer's scope: `practiceIds` narrows it when given (the CLI, jobs, reports).
 */
export async function listFindingDetails(
  db: Db,
  filter: { status?: FindingStatus; practiceIds?: number[]; ruleIds?: string[]; limit?: number } = {},
): Promise<FindingDetail[]> {
  const q = db('findings as f')
    .leftJoin('practices as p', 'p.id', 'f.practice_id')
    .select(DETAIL_COLUMNS)
    .orderByRaw(`CASE f.severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, f.opened_at DESC, f.id DESC`)
  if (filter.status) q.where('f.status', filter.status)
  if (filter.practiceIds) q.whereIn('f.practice_id', filter.practiceIds)
  if (filter.ruleIds) q.whereIn('f.rule_id', filter.ruleIds)
  if (filter.limit !== undefined) q.limit(filter.limit)
  return q
}

/** One finding with its evidence and its status history (oldest first); undefined when there is none. */
export async function getFinding(db: Db, id: number): Promise<(FindingDetail & { events: FindingEvent[] }) | undefined> {
  const finding: FindingDetail | undefined = await db('findings as f')
    .leftJoin('practices as p', 'p.id', 'f.practice_id')
    .where('f.id', id)
    .first(DETAIL_COLUMNS)
  if (!finding) return undefined
  const events: FindingEvent[] = await db('finding_events as e')
    .leftJoin('users as u', 'u.id', 'e.by_user_id')
    .where('e.finding_id', id)
    .orderBy([{ column: 'e.at' }, { column: 'e.id' }])
    .select(
      'e.id',
      'e.from_status as fromStatus',
      'e.to_status as toStatus',
      'e.reason',
      'e.by_user_id as byUserId',
      'u.display_name as byUser',
      'e.at',
    )
  return { ...finding, events }
}

/** A finding about a period, as the audit evidence pack prints it. */
export interface PeriodFinding {
  id: number
  practiceId: number
  ruleId: string
  severity: string
  odsCode: string
  subjectKey: string
  /** The case it belongs to (decision 036). */
  caseKey: string
  /** When its subject happened (a disclosure's or override's time), or null for a source or a publication. */
  subjectAt: Date | null
  summary: string
  status: string
  /** The reason given with its latest status change. */
  statusReason: string | null
  openedAt: Date
}

type PeriodScope = { practiceIds: number[]; from: string; to: string }

/**
 * The findings whose subject falls in the period, whatever day they were detected (findings are
 * opened when the records are collected and checked, often long after): a disclosure or override
 * event that occurred in the period; an NHS England opt-out publication dated in it; a source
 * whose problem was open at some time in it, from when the problem began (the last successful
 * run, or first unreadable record, the finding cites; else when it was detected) to when the
 * finding was closed (its latest status change), or still open.
 *
 * The SQL (columns as PeriodFinding), unordered, as a subquery `about`: every reader below is built on it.
 */
function aboutPeriod(db: Db, scope: PeriodScope): Knex.Raw {
  const start = 'b.start_at'
  const end = 'b.end_at'
  return db.raw(
    `(WITH b AS (SELECT (?::date::timestamp AT TIME ZONE 'Europe/London') AS start_at,
                       ((?::date + 1)::timestamp AT TIME ZONE 'Europe/London') AS end_at,
                       ?::date AS from_day, ?::date AS to_day, ?::int[] AS practice_ids)
     SELECT f.id, f.rule_id AS "ruleId", f.severity, p.ods_code AS "odsCode", f.subject_key AS "subjectKey", f.case_key AS "caseKey",
            f.practice_id AS "practiceId",
            coalesce(d.occurred_at, ov.occurred_at) AS "subjectAt", f.summary, f.status,
            last_event.reason AS "statusReason", f.opened_at AS "openedAt"
       FROM b CROSS JOIN findings f
       JOIN practices p ON p.id = f.practice_id
       -- the second part of every subject key is a number: disclosure:<id>, override:<id>, source:<id>, practice:<id>:ndop:<day>
       LEFT JOIN disclosures d ON f.subject_key LIKE 'disclosure:%' AND d.id = split_part(f.subject_key, ':', 2)::bigint
       LEFT JOIN override_events ov ON f.subject_key LIKE 'override:%' AND ov.id = split_part(f.subject_key, ':', 2)::bigint
       LEFT JOIN sources s ON f.subject_key LIKE 'source:%' AND s.id = split_part(f.subject_key, ':', 2)::int
       LEFT JOIN LATERAL (
         SELECT e.reason, e.at FROM finding_events e WHERE e.finding_id = f.id ORDER BY e.at DESC, e.id DESC LIMIT 1) last_event ON true
       LEFT JOIN LATERAL (
         SELECT least(
                  (SELECT min(r.finished_at) FROM job_runs r
                    WHERE r.status = 'completed'
                      AND r.id IN (SELECT (x->>'id')::bigint FROM jsonb_array_elements(f.evidence) x WHERE x->>'type' = 'job_run')),
                  (SELECT min(q.first_seen_at) FROM quarantine q
                    WHERE q.id IN (SELECT (x->>'id')::bigint FROM jsonb_array_elements(f.evidence) x WHERE x->>'type' = 'quarantine')),
                  CASE WHEN f.rule_id = 'silent_source' AND NOT EXISTS (
                         SELECT 1 FROM job_runs r WHERE r.status = 'completed'
                            AND r.id IN (SELECT (x->>'id')::bigint FROM jsonb_array_elements(f.evidence) x WHERE x->>'type' = 'job_run'))
                       THEN s.created_at END,
                  f.opened_at) AS began) problem ON s.id IS NOT NULL
      WHERE f.practice_id = ANY(b.practice_ids)
        AND ((d.occurred_at >= ${start} AND d.occurred_at < ${end})
          OR (ov.occurred_at >= ${start} AND ov.occurred_at < ${end})
          OR (f.subject_key LIKE 'practice:%:ndop:%' AND split_part(f.subject_key, ':', 4)::date BETWEEN b.from_day AND b.to_day)
          OR (s.id IS NOT NULL AND problem.began < ${end} AND (f.status = 'open' OR last_event.at >= ${start})))) AS about`,
    [scope.from, scope.to, scope.from, scope.to, `{${scope.practiceIds.map(Number).join(',')}}`],
  )
}

export async function listFindingsAboutPeriod(db: Db, scope: PeriodScope): Promise<PeriodFinding[]> {
  return findingsAboutPeriodQuery(db, scope)
}

/** The same findings, by id, as a query to read through a cursor (the evidence pack's appendix: there can be millions). */
export function findingsAboutPeriodQuery(db: Db, scope: PeriodScope): Knex.QueryBuilder {
  return db.select('*').from(aboutPeriod(db, scope)).orderBy('id')
}

/** The status history of the findings about a period, by finding, oldest first: read through a cursor, like the findings. */
export function findingHistoryAboutPeriodQuery(db: Db, scope: PeriodScope): Knex.QueryBuilder {
  return eventsWithPeople(db).join(aboutPeriod(db, scope), 'about.id', 'e.finding_id')
}

/** Finding events with who made them, by finding, oldest first: the readers of histories narrow it. */
function eventsWithPeople(db: Db): Knex.QueryBuilder {
  return db('finding_events as e')
    .leftJoin('users as u', 'u.id', 'e.by_user_id')
    .orderBy([{ column: 'e.finding_id' }, { column: 'e.at' }, { column: 'e.id' }])
    .select(
      'e.finding_id as findingId',
      'e.id',
      'e.from_status as fromStatus',
      'e.to_status as toStatus',
      'e.reason',
      'e.by_user_id as byUserId',
      'u.display_name as byUser',
      'e.at',
    )
}

/** A case (decision 036) among the findings about a period: its findings counted by status, and its subjects' first and last time. */
export interface PeriodCase {
  ruleId: string
  practiceId: number
  odsCode: string
  caseKey: string
  severity: string
  findings: number
  open: number
  accepted: number
  resolved: number
  firstAt: Date
  lastAt: Date
}

/** The findings about a period grouped into their cases, counted in the database: the pack's section 6 and its totals, without the findings in memory. */
export async function findingCasesAboutPeriod(db: Db, scope: PeriodScope): Promise<PeriodCase[]> {
  const rows = await db
    .from(aboutPeriod(db, scope))
    .groupBy('ruleId', 'practiceId', 'odsCode', 'caseKey', 'severity')
    .select(
      'ruleId',
      'practiceId',
      'odsCode',
      'caseKey',
      'severity',
      db.raw('count(*)::int AS findings'),
      db.raw(`count(*) FILTER (WHERE status = 'open')::int AS open`),
      db.raw(`count(*) FILTER (WHERE status = 'accepted')::int AS accepted`),
      db.raw(`count(*) FILTER (WHERE status = 'resolved')::int AS resolved`),
      db.raw(`min(coalesce("subjectAt", "openedAt")) AS "firstAt"`),
      db.raw(`max(coalesce("subjectAt", "openedAt")) AS "lastAt"`),
    )
  return rows as PeriodCase[]
}

/** The status history of these findings, oldest first per finding. */
export async function listFindingEvents(db: Db, findingIds: number[]): Promise<Array<FindingEvent & { findingId: number }>> {
  if (findingIds.length === 0) return []
  // One array parameter, not one per id: a period's findings can be far more than the 65,535
  // parameters a statement may bind (the 1M-row evidence pack had 200,000).
  return eventsWithPeople(db).whereRaw('e.finding_id = ANY(?::bigint[])', [findingIds])
}
