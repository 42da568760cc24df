import type { AppLoadContext } from '@remix-run/node'
import {
  countDisclosures,
  countDisclosuresByPurpose,
  countDisclosuresByRecipient,
  getDisclosureDayRange,
  listLastRunPerSource,
  type Period,
} from '../../db/queries/overview.js'
import { getDb } from './db.server.js'

/** Everything the overview page shows: aggregates only, never a patient-level row. */
export async function getOverview(context: AppLoadContext, period: Period) {
  const db = getDb(context)
  const [collected, total, byPurpose, byRecipient, sources] = await Promise.all([
    getDisclosureDayRange(db),
    countDisclosures(db, period),
    countDisclosuresByPurpose(db, period),
    countDisclosuresByRecipient(db, period),
    listLastRunPerSource(db),
  ])
  return { collected, total, byPurpose, byRecipient, sources }
}
