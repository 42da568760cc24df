import type { AppLoadContext } from '@remix-run/node'
import {
  cachedPatientCount,
  countDisclosures,
  countDisclosuresByPurpose,
  countDisclosuresByRecipient,
  countOpenFindings,
  countOpenHighFindings,
  countOverridesAwaitingReview,
  countPatientsAffected,
  disclosureTrend,
  getDisclosureDayRange,
  listLastRunPerSource,
} from '../../db/queries/overview.js'
import { practicesWithoutNotice } from '../../db/queries/promises.js'
import { requireScope } from './scope.server.js'

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
  const [collected, total, cachedPatients, overrides, openFindings, openHighFindings, trend, byPurpose, byRecipient, sources, withoutNotice] = await Promise.all([
    getDisclosureDayRange(db, scope),
    countDisclosures(db, scope),
    cachedPatientCount(db, scope),
    countOverridesAwaitingReview(db, scope, access.config.overrideReviewDays),
    countOpenFindings(db, scope),
    countOpenHighFindings(db, scope),
    disclosureTrend(db, scope, bucket),
    countDisclosuresByPurpose(db, scope),
    countDisclosuresByRecipient(db, scope),
    listLastRunPerSource(db, scope),
    practicesWithoutNotice(db, scope),
  ])
  const patients: number | Promise<number> = cachedPatients ?? countPatientsAffected(db, scope)
  return { period: { from: scope.from, to: scope.to }, collected, total, patients, overrides, openFindings, openHighFindings, trend, trendBucket: bucket, byPurpose, byRecipient, sources, withoutNotice }
}

function spanDays(from?: string, to?: string): number | null {
  if (!from || !to) return null
  return (Date.parse(to) - Date.parse(from)) / 86_400_000 + 1
}
