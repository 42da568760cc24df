import type { Db } from '../db/client.js'
import type { SigningKey } from './signing.js'
import type { ScheduledReportKind } from './report-schedules.js'

/**
 * Produces one scheduled report (reports/scheduled.ts); the scheduled-reports job (jobs/) is
 * handed it by the entry point, since jobs/ does not import reports/ (decision 034).
 */
export type ScheduledReportProducer = (
  db: Db,
  s: {
    scheduleId: number
    kind: ScheduledReportKind
    practiceIds: number[]
    from: string
    to: string
    overrideReviewDays: number
    signingKey: SigningKey
  },
) => Promise<{ reportId: string; practices: string[] }>
