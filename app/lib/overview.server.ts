import type { AppLoadContext } from '@remix-run/node'
import {
  countDisclosures,
  countDisclosuresByPurpose,
  countDisclosuresByRecipient,
  countOpenFindings,
  countOverridesAwaitingReview,
  countPatientsAffected,
  disclosureTrend,
  getDisclosureDayRange,
  listLastRunPerSource,
} from '../../db/queries/overview.js'
import { requireScope } from './scope.server.js'

/** Everything the overview page shows: aggregates only, never a patient-level row. */
export async function getOverview(args: { request: Request; context: AppLoadContext }) {
  const { access, scope } = await requireScope(args)
  const db = access.db
  const days = spanDays(scope.from, scope.to)
  const bucket = days !== null && days <= 62 ? 'day' : days !== null && days <= 366 ? 'week' : 'month'
  const [collected, total, patients, overrides, openFindings, trend, byPurpose, byRecipient, sources] = await Promise.all([
    getDisclosureDayRange(db, scope),
    countDisclosures(db, scope),
    countPatientsAffected(db, scope),
    countOverridesAwaitingReview(db, scope, access.config.overrideReviewDays),
    countOpenFindings(db, scope),
    disclosureTrend(db, scope, bucket),
    countDisclosuresByPurpose(db, scope),
    countDisclosuresByRecipient(db, scope),
    listLastRunPerSource(db, scope),
  ])
  return { period: { from: scope.from, to: scope.to }, collected, total, patients, overrides, openFindings, trend, trendBucket: bucket, byPurpose, byRecipient, sources }
}

function spanDays(from?: string, to?: string): number | null {
  if (!from || !to) return null
  return (Date.parse(to) - Date.parse(from)) / 86_400_000 + 1
}
