import type { AppLoadContext } from '@remix-run/node'
import {
  cachedPatientCount,
  countDisclosuresByPurpose,
  countDisclosuresByRecipient,
  countOverridesAwaitingReview,
  countPatientsAffected,
  disclosureTrend,
  getDisclosureDayRange,
  listLastRunPerSource,
} from '../../db/queries/overview.js'
import { englandToday } from '../../core/period-presets.js'
import { isPartialBucket } from '../../core/trend-buckets.js'
import { sumProhibitedByRecipient } from '../../db/queries/disclosures.js'
import { withProhibited } from './disclosures.server.js'
import { prohibitedFirst } from './prohibited.js'
import { practicesWithoutNotice } from '../../db/queries/promises.js'
import { requireScope } from './scope.server.js'
import { openFindingTotals } from '../../db/queries/finding-cases.js'

/**
 * Everything the overview page shows: aggregates only, never a patient-level row. `patients` is
 * a number when the exact count is cached for the scope's current data, else a promise of it:
 * counting distinct patients over the raw rows takes seconds for an ICB's practices after a
 * collection, and the rest of the page should not wait for it (the route streams it in).
 */
export async function getOverview(args: { request: Request; context: AppLoadContext }) {
  const { access, scope } = await requireScope(args)
  const db = access.db
  const days = spanDays(scope.from, scope.to)
  const bucket = days !== null && days <= 62 ? 'day' : days !== null && days <= 366 ? 'week' : 'month'
  const [collected, cachedPatients, overrides, findingTotals, trend, purposeCounts, recipientCounts, prohibitedTo, sources, withoutNotice] =
    await Promise.all([
      getDisclosureDayRange(db, scope),
      cachedPatientCount(db, scope),
      countOverridesAwaitingReview(db, scope, access.config.overrideReviewDays),
      openFindingTotals(db, scope),
      disclosureTrend(db, scope, bucket),
      countDisclosuresByPurpose(db, scope),
      countDisclosuresByRecipient(db, scope),
      sumProhibitedByRecipient(db, scope),
      listLastRunPerSource(db, scope),
      practicesWithoutNotice(db, scope),
    ])
  // Every disclosure has a purpose, so the total is the purposes' sum, as on the disclosures page:
  // a query fewer per page view (decision 044).
  const total = purposeCounts.reduce((n, p) => n + Number(p.disclosures), 0)
  const byPurpose = prohibitedFirst(purposeCounts, (p) => p.prohibited)
  const byRecipient = withProhibited(recipientCounts, prohibitedTo)
  const patients: number | Promise<number> = cachedPatients ?? countPatientsAffected(db, scope)
  // A bucket is partial when the period or the collected data starts inside it, or when the
  // period, the collected data or today ends inside it (the earliest of the three counts).
  const coverFrom = [scope.from, collected.first ?? undefined]
    .filter((d): d is string => !!d)
    .sort()
    .at(-1)
  const coverTo = [scope.to, collected.last ?? undefined, englandToday()].filter((d): d is string => !!d).sort()[0]
  const markedTrend = trend.map((t) => ({ ...t, partial: isPartialBucket(t.period, bucket, coverFrom, coverTo) }))
  return {
    period: { from: scope.from, to: scope.to },
    collected,
    total,
    patients,
    overrides,
    openFindings: findingTotals.open,
    openHighFindings: findingTotals.high,
    trend: markedTrend,
    trendBucket: bucket,
    byPurpose,
    byRecipient,
    sources,
    withoutNotice,
  }
}

function spanDays(from?: string, to?: string): number | null {
  if (!from || !to) return null
  return (Date.parse(to) - Date.parse(from)) / 86_400_000 + 1
}
