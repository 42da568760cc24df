import { PROMISE_CATALOGUE, promiseEntry, promiseVerdict, type AppliesTo } from '../../core/promises.js'
import { planOnce, type Db } from '../client.js'
import { readTogether } from '../parallel.js'
import { noticesInForce } from './notices.js'
import type { Scope } from './scope.js'

/**
 * Promises kept, as evidence (issue 20): for each practice in scope, each promise of the notice
 * in force at the end of the period, in its own words, with what checks it, how many records
 * of the period it applied to, its findings and a verdict. One implementation for the
 * /promises page and the audit evidence pack.
 */

export interface PromiseFinding {
  id: number
  ruleId: string
  status: 'open' | 'accepted' | 'resolved'
  summary: string
}

export interface PromiseEvidence {
  code: string
  title: string
  words: string
  how: string
  checkedBy: string[]
  applied: number
  appliesTo: AppliesTo
  open: number
  reviewed: number
  verdict: { kind: 'kept' | 'kept_with_exceptions' | 'broken'; text: string }
  /** The first findings (open first), for links; `open + reviewed` is the full count. */
  findings: PromiseFinding[]
}

export interface PracticePromises {
  practiceId: number
  odsCode: string
  name: string
  notice: { id: number; version: number; title: string; inForceFrom: string; source: string | null } | null
  /** Earlier versions also in force during the period. */
  earlierVersions: Array<{ version: number; inForceFrom: string }>
  promises: PromiseEvidence[]
}

const SHOWN_FINDINGS = 5

/** Today in England, for a period without an end. */
async function londonToday(db: Db): Promise<string> {
  const { rows } = await db.raw(`SELECT to_char((now() AT TIME ZONE 'Europe/London')::date, 'YYYY-MM-DD') AS d`)
  return rows[0].d
}

export async function listPromiseEvidence(db: Db, scope: Scope): Promise<PracticePromises[]> {
  if (scope.practiceIds.length === 0) return []
  const to = scope.to ?? (await londonToday(db))
  const from = scope.from ?? null
  const ids = `{${scope.practiceIds.join(',')}}`
  const [practices, notices, applied, overrides, reports, findings] = await readTogether(db, [
    () => db('practices').whereIn('id', scope.practiceIds).orderBy('ods_code').select('id', 'ods_code', 'name'),
    () => noticesInForce(db, scope.practiceIds, from, to),
    // Counts from the daily cube, which triggers keep equal to the raw rows (decision 004).
    () =>
      db.raw(
        `SELECT dd.practice_id,
              coalesce(sum(dd.disclosures), 0)::int AS all_disclosures,
              coalesce(sum(dd.disclosures) FILTER (WHERE dd.data_level = 'identifiable' AND pu.opt_out_applies), 0)::int AS identifiable_secondary,
              coalesce(sum(dd.disclosures) FILTER (WHERE o.recipient_type <> 'patient_representative'), 0)::int AS to_organisations,
              coalesce(sum(dd.disclosures) FILTER (WHERE dd.purpose = 'direct_care' AND o.recipient_type <> 'patient_representative'), 0)::int AS direct_care_out
         FROM disclosure_daily dd
         JOIN purposes pu ON pu.code = dd.purpose
         JOIN organisations o ON o.id = dd.recipient_id
        WHERE dd.practice_id = ANY(?::int[]) AND (?::date IS NULL OR dd.day >= ?::date) AND dd.day <= ?::date
        GROUP BY dd.practice_id`,
        [ids, from, from, to],
      ),
    () =>
      db.raw(
        `SELECT ov.practice_id, count(*)::int AS n FROM override_events ov
        WHERE ov.practice_id = ANY(?::int[]) AND ov.kind <> 'override_stopped'
          AND (?::date IS NULL OR ov.occurred_at >= (?::date::timestamp AT TIME ZONE 'Europe/London'))
          AND ov.occurred_at < ((?::date + 1)::timestamp AT TIME ZONE 'Europe/London')
        GROUP BY ov.practice_id`,
        [ids, from, from, to],
      ),
    () =>
      db.raw(
        `SELECT p.id AS practice_id, count(r.id)::int AS n
         FROM unnest(?::int[]) AS p(id)
         JOIN report_exports r ON r.kind = 'commissioner' AND r.params->'practiceIds' @> to_jsonb(p.id)
          AND (r.params->>'to') >= coalesce(?::text, '0000') AND (r.params->>'from') <= ?::text
        GROUP BY p.id`,
        [ids, from, to],
      ),
    // A finding belongs to the period of the record it is about (a disclosure's or override's
    // day), or of its opening when it is about a source or a practice's figures.
    () =>
      db.raw(
        `SELECT f.id, f.rule_id, f.status, f.summary, f.practice_id
         FROM findings f
         LEFT JOIN disclosures d ON f.subject_key LIKE 'disclosure:%' AND d.id = split_part(f.subject_key, ':', 2)::bigint
         LEFT JOIN override_events ov ON f.subject_key LIKE 'override:%' AND ov.id = split_part(f.subject_key, ':', 2)::bigint
        WHERE f.practice_id = ANY(?::int[])
          AND (?::date IS NULL OR coalesce(d.occurred_at, ov.occurred_at, f.opened_at) >= (?::date::timestamp AT TIME ZONE 'Europe/London'))
          AND coalesce(d.occurred_at, ov.occurred_at, f.opened_at) < ((?::date + 1)::timestamp AT TIME ZONE 'Europe/London')
        ORDER BY CASE f.status WHEN 'open' THEN 0 ELSE 1 END, f.id`,
        [ids, from, from, to],
      ),
  ])
  const appliedBy = new Map<number, Record<string, number>>(applied.rows.map((r: Record<string, number>) => [r.practice_id, r]))
  const overridesBy = new Map<number, number>(overrides.rows.map((r: { practice_id: number; n: number }) => [r.practice_id, r.n]))
  const reportsBy = new Map<number, number>(reports.rows.map((r: { practice_id: number; n: number }) => [r.practice_id, r.n]))
  const findingRows = findings.rows as Array<PromiseFinding & { rule_id: string; practice_id: number }>

  return practices.map((p: { id: number; ods_code: string; name: string }) => {
    const versions = notices.filter((n) => n.practiceId === p.id)
    const notice = versions[0]
    const counts = appliedBy.get(p.id)
    const appliedTo = (a: AppliesTo): number => {
      if (a === 'override_events') return overridesBy.get(p.id) ?? 0
      if (a === 'commissioner_reports') return reportsBy.get(p.id) ?? 0
      const column = a === 'identifiable_opt_out_purposes' ? 'identifiable_secondary' : a
      return counts?.[column] ?? 0
    }
    return {
      practiceId: p.id,
      odsCode: p.ods_code,
      name: p.name,
      notice: notice
        ? { id: notice.id, version: notice.version, title: notice.title, inForceFrom: notice.inForceFrom, source: notice.source }
        : null,
      earlierVersions: versions.slice(1).map((v) => ({ version: v.version, inForceFrom: v.inForceFrom })),
      promises: (notice?.promises ?? [])
        .map((np) => ({ np, entry: promiseEntry(np.promise) }))
        .filter((x) => x.entry !== undefined)
        // Catalogue order, so every practice's promises line up the same way.
        .sort((a, b) => PROMISE_CATALOGUE.indexOf(a.entry!) - PROMISE_CATALOGUE.indexOf(b.entry!))
        .map(({ np, entry }) => {
          const mine = findingRows.filter((f) => f.practice_id === p.id && entry!.checkedBy.includes(f.rule_id))
          const open = mine.filter((f) => f.status === 'open').length
          const reviewed = mine.length - open
          return {
            code: entry!.code,
            title: entry!.title,
            words: np.words,
            how: entry!.how,
            checkedBy: [...entry!.checkedBy],
            applied: appliedTo(entry!.appliesTo),
            appliesTo: entry!.appliesTo,
            open,
            reviewed,
            verdict: promiseVerdict(open, reviewed),
            findings: mine
              .slice(0, SHOWN_FINDINGS)
              .map((f) => ({ id: Number(f.id), ruleId: f.rule_id, status: f.status, summary: f.summary })),
          }
        }),
    }
  })
}

/** Practices in scope with no notice recorded at all, for the overview. */
export async function practicesWithoutNotice(db: Db, scope: Scope): Promise<Array<{ id: number; odsCode: string; name: string }>> {
  return planOnce(
    db('practices as p')
      .whereIn('p.id', scope.practiceIds)
      .whereNotExists(db('privacy_notices as n').whereRaw('n.practice_id = p.id'))
      .orderBy('p.ods_code')
      .select('p.id', 'p.ods_code as odsCode', 'p.name'),
  )
}
