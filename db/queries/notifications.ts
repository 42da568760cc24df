import { planOnce, type Db } from '../client.js'
import type { Role } from './users.js'

// What needs a person now (issue 17, part 2), derived from the data we already hold: no table
// of notifications, so nothing can drift out of step with the findings, reviews and runs it
// describes. Each kind is one bounded query (LIMIT), so the header's count stays cheap.
// Sentences never carry a patient pseudonym: they name the practice and link to the page.

export type NotificationKind = 'high_finding' | 'override_due' | 'countersignature' | 'silent_source' | 'failed_run'

export interface Notification {
  kind: NotificationKind
  /** 0 is the most urgent; the list is ordered by it, then by `when`. */
  urgency: number
  practiceOds: string | null
  practiceName: string | null
  /** The instant that matters: when the finding opened, the review falls due, the source went silent, the run failed. */
  when: Date
  sentence: string
  link: string
  /** What the link opens, e.g. "finding 12" (the link reads "Open finding 12"). */
  linkLabel: string
}

export interface NotificationViewer {
  userId: number
  role: Role
  practiceIds: number[]
}

/** Which kinds each role is told about (decision 028). Countersignatures go to whoever is named. */
const KINDS_BY_ROLE: Record<Role, NotificationKind[]> = {
  caldicott_guardian: ['high_finding', 'override_due', 'countersignature', 'silent_source', 'failed_run'],
  practice_manager: ['high_finding', 'countersignature', 'silent_source', 'failed_run'],
  auditor: ['high_finding'],
  admin: ['silent_source', 'failed_run'],
}

export const NEW_FINDING_DAYS = 7
export const DUE_SOON_DAYS = 2
export const FAILED_RUN_DAYS = 7
/** Per kind; far above what a practice has in a week, and it keeps every query bounded. */
export const PER_KIND_LIMIT = 50

export function kindsFor(role: Role): NotificationKind[] {
  return KINDS_BY_ROLE[role] ?? []
}

/** The latest complete-or-not review of each event (the head of its chain), as overrides.ts reads it. */
const LATEST_REVIEW = `LEFT JOIN LATERAL (
    SELECT r.id, r.second_signer_id, s2.display_name AS second_signer_name, cs.decision AS cs_decision
      FROM override_reviews r
      LEFT JOIN users s2 ON s2.id = r.second_signer_id
      LEFT JOIN override_countersignatures cs ON cs.review_id = r.id
     WHERE r.override_event_id = o.id
       AND NOT EXISTS (SELECT 1 FROM override_reviews s WHERE s.supersedes_id = r.id)
     ORDER BY r.signed_at DESC, r.id DESC
     LIMIT 1
  ) lr ON true`
/** Not yet complete: no review, the second signer declined, or the countersignature is awaited. */
const OPEN_REVIEW = `o.kind <> 'override_stopped' AND (lr.id IS NULL OR (lr.second_signer_id IS NOT NULL AND lr.cs_decision IS DISTINCT FROM 'countersigned'))`
const AWAITING_COUNTERSIGNATURE = `lr.id IS NOT NULL AND lr.second_signer_id IS NOT NULL AND lr.cs_decision IS NULL`

interface Part {
  kind: NotificationKind
  sql: string
  bindings: unknown[]
}

/**
 * One SELECT per kind the viewer is told about, each with its own LIMIT. The list orders each
 * kind; the count does not, so each part stops at its LIMIT instead of sorting every match
 * (at 10M disclosures, every old override event of 150 practices).
 */
function parts(who: NotificationViewer, reviewDays: number, ordered: boolean): Part[] {
  const orderBy = (columns: string) => (ordered ? `ORDER BY ${columns}` : '')
  const kinds = new Set(kindsFor(who.role))
  const ids = who.practiceIds
  const out: Part[] = []
  if (kinds.has('high_finding')) {
    out.push({
      kind: 'high_finding',
      // Per practice, newest first from the partial index findings_open_high_newest, and only where the
      // roll-up says a high finding is open (decision 036): bounded with a million open findings.
      sql: `SELECT 'high_finding' AS kind, f.id, f.rule_id AS detail, p.ods_code, p.name AS practice_name, f.opened_at AS "when", NULL::text AS other
              FROM practices p
              CROSS JOIN LATERAL (
                SELECT f.id, f.rule_id, f.opened_at FROM findings f
                 WHERE f.practice_id = p.id AND f.severity = 'high' AND f.status = 'open'
                   AND f.opened_at > now() - make_interval(days => ?)
                 ORDER BY f.opened_at DESC, f.id DESC LIMIT ?) f
             WHERE p.id = ANY(?)
               AND EXISTS (SELECT 1 FROM finding_counts fc WHERE fc.practice_id = p.id AND fc.severity = 'high' AND fc.status = 'open')
             ${orderBy('f.opened_at DESC, f.id DESC')} LIMIT ?`,
      bindings: [NEW_FINDING_DAYS, PER_KIND_LIMIT, ids, PER_KIND_LIMIT],
    })
  }
  if (kinds.has('override_due')) {
    // Due within two days or past due; a review awaiting this viewer's own countersignature
    // is told as a countersignature instead (below), not twice.
    out.push({
      kind: 'override_due',
      sql: `SELECT 'override_due' AS kind, o.id, CASE WHEN ${AWAITING_COUNTERSIGNATURE} THEN 'awaiting' ELSE 'pending' END AS detail,
                   p.ods_code, p.name AS practice_name, o.occurred_at + make_interval(days => ?) AS "when", lr.second_signer_name AS other
              FROM override_events o JOIN practices p ON p.id = o.practice_id
              ${LATEST_REVIEW}
             WHERE o.practice_id = ANY(?) AND o.occurred_at < now() + make_interval(days => ?) - make_interval(days => ?)
               AND ${OPEN_REVIEW}
               AND NOT (${AWAITING_COUNTERSIGNATURE} AND lr.second_signer_id = ?)
             ${orderBy('o.occurred_at, o.id')} LIMIT ?`,
      bindings: [reviewDays, ids, DUE_SOON_DAYS, reviewDays, who.userId, PER_KIND_LIMIT],
    })
  }
  if (kinds.has('countersignature')) {
    // Whatever the due date: the review is not complete until this person acts. Read from the
    // reviews naming this person (override_reviews_second_signer), not from every event.
    out.push({
      kind: 'countersignature',
      sql: `SELECT 'countersignature' AS kind, o.id, NULL::text AS detail, p.ods_code, p.name AS practice_name,
                   o.occurred_at + make_interval(days => ?) AS "when", NULL::text AS other
              FROM override_reviews mine
              JOIN override_events o ON o.id = mine.override_event_id
              JOIN practices p ON p.id = o.practice_id
              ${LATEST_REVIEW}
             WHERE mine.second_signer_id = ? AND o.practice_id = ANY(?) AND lr.id = mine.id AND ${AWAITING_COUNTERSIGNATURE}
             ${orderBy('o.occurred_at, o.id')} LIMIT ?`,
      bindings: [reviewDays, who.userId, ids, PER_KIND_LIMIT],
    })
  }
  if (kinds.has('silent_source')) {
    // The same test as the jobs page's "silent" (source-health.ts); national sources belong to everyone.
    out.push({
      kind: 'silent_source',
      sql: `SELECT 'silent_source' AS kind, s.id, NULL::text AS detail, p.ods_code, p.name AS practice_name,
                   coalesce(ok.finished_at, s.created_at) + make_interval(mins => s.expected_interval_minutes) AS "when", s.name AS other
              FROM sources s LEFT JOIN practices p ON p.id = s.practice_id
              LEFT JOIN LATERAL (
                SELECT finished_at FROM job_runs
                 WHERE job_runs.source_id = s.id AND job_runs.status = 'completed' ORDER BY job_runs.id DESC LIMIT 1
              ) ok ON true
             WHERE (s.practice_id = ANY(?) OR s.practice_id IS NULL) AND s.enabled
               AND coalesce(ok.finished_at, s.created_at) < now() - make_interval(mins => s.expected_interval_minutes)
             ${orderBy('6, s.id')} LIMIT ?`,
      bindings: [ids, PER_KIND_LIMIT],
    })
  }
  if (kinds.has('failed_run')) {
    // Runs of the viewer's sources and national ones; runs of no source (system jobs) only for an administrator.
    out.push({
      kind: 'failed_run',
      sql: `SELECT 'failed_run' AS kind, r.id, r.job_name AS detail, p.ods_code, p.name AS practice_name,
                   coalesce(r.finished_at, r.started_at) AS "when", s.name AS other
              FROM job_runs r LEFT JOIN sources s ON s.id = r.source_id LEFT JOIN practices p ON p.id = s.practice_id
             WHERE r.status = 'failed' AND r.started_at > now() - make_interval(days => ?)
               AND (s.practice_id = ANY(?) OR (s.id IS NOT NULL AND s.practice_id IS NULL) OR (r.source_id IS NULL AND ?::boolean))
             ${orderBy('r.started_at DESC, r.id DESC')} LIMIT ?`,
      bindings: [FAILED_RUN_DAYS, ids, who.role === 'admin', PER_KIND_LIMIT],
    })
  }
  return out
}

function union(ps: Part[]): { sql: string; bindings: unknown[] } {
  return { sql: ps.map((p) => `(${p.sql})`).join('\nUNION ALL\n'), bindings: ps.flatMap((p) => p.bindings) }
}

/** How many notifications the viewer has: one statement, each kind bounded by PER_KIND_LIMIT. */
export async function countNotifications(db: Db, who: NotificationViewer, reviewDays: number): Promise<number> {
  const ps = parts(who, reviewDays, false)
  if (ps.length === 0 || who.practiceIds.length === 0) return 0
  const u = union(ps)
  // On every page (the header): planned once per connection (decision 045).
  const { rows } = await planOnce(db.raw(`SELECT count(*)::int AS n FROM (${u.sql}) n`, u.bindings as never[]))
  return Number((rows as Array<{ n: number }>)[0]?.n ?? 0)
}

interface Row {
  kind: NotificationKind
  id: string | number
  detail: string | null
  ods_code: string | null
  practice_name: string | null
  when: Date
  other: string | null
}

/**
 * The viewer's notifications, most urgent first: reviews past due and countersignatures
 * awaiting them, then new high findings, reviews due soon, failed runs and silent sources.
 * `ruleTitle` names a finding's rule (the rules live with the findings job).
 */
export async function listNotifications(
  db: Db,
  who: NotificationViewer,
  reviewDays: number,
  ruleTitle: (ruleId: string) => string = (id) => id,
  now: Date = new Date(),
): Promise<Notification[]> {
  const ps = parts(who, reviewDays, true)
  if (ps.length === 0 || who.practiceIds.length === 0) return []
  const u = union(ps)
  const { rows } = await db.raw(u.sql, u.bindings as never[])
  const items = (rows as Row[]).map((r) => describe(r, reviewDays, ruleTitle, now))
  return items.sort(
    (a, b) => a.urgency - b.urgency || (a.urgency <= 2 ? a.when.getTime() - b.when.getTime() : b.when.getTime() - a.when.getTime()),
  )
}

function describe(r: Row, reviewDays: number, ruleTitle: (id: string) => string, now: Date): Notification {
  const when = new Date(r.when)
  const at = r.practice_name ? `${r.practice_name} (${r.ods_code})` : 'a national source'
  const base = { kind: r.kind, practiceOds: r.ods_code, practiceName: r.practice_name, when }
  const days = Math.floor(Math.abs(now.getTime() - when.getTime()) / 86_400_000)
  const dayWord = (n: number) => `${n} day${n === 1 ? '' : 's'}`
  switch (r.kind) {
    case 'high_finding':
      return {
        ...base,
        urgency: 1,
        sentence: `A new high-severity finding is open at ${at}: ${ruleTitle(r.detail ?? '')}.`,
        link: `/findings/${r.id}`,
        linkLabel: `finding ${r.id}`,
      }
    case 'override_due': {
      const overdue = when.getTime() < now.getTime()
      const state = r.detail === 'awaiting' ? `awaits the countersignature of ${r.other ?? 'its second signer'}` : 'awaits review'
      const timing = overdue ? `overdue by ${dayWord(days)}` : days === 0 ? 'due within a day' : `due in ${dayWord(days)}`
      return {
        ...base,
        urgency: overdue ? 0 : 2,
        sentence: `An override event at ${at} ${state} (${reviewDays}-day review, ${timing}).`,
        link: `/overrides/${r.id}`,
        linkLabel: `override event ${r.id}`,
      }
    }
    case 'countersignature':
      return {
        ...base,
        urgency: 0,
        sentence: `A review of an override event at ${at} awaits your countersignature.`,
        link: `/overrides/${r.id}`,
        linkLabel: `override event ${r.id}`,
      }
    case 'silent_source':
      return {
        ...base,
        urgency: 3,
        sentence: `The source "${r.other}" of ${at} has been silent past its expected interval.`,
        link: '/jobs',
        linkLabel: `source ${r.id} on the jobs page`,
      }
    case 'failed_run':
      return {
        ...base,
        urgency: 3,
        sentence: r.other ? `A collection run of "${r.other}" (${at}) failed.` : `A run of the job ${r.detail} failed.`,
        link: '/jobs',
        linkLabel: `run ${r.id} on the jobs page`,
      }
  }
}
