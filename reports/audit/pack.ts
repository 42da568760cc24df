import {
  countDisclosures,
  findingCasesAboutPeriod,
  listPromiseEvidence,
  listSourceCoverage,
  listWindowGaps,
  listWindowQuarantine,
  listWindowRuns,
  overrideReviewState,
  sumDisclosuresByPurpose,
  type Db,
  type ReportScope,
} from '../queries/index.js'
import type { ReportContext } from '../context.js'
import type { Labels } from '../labels.js'

/** What every section of the audit pack is drawn with. */
export interface AuditPack {
  ctx: ReportContext
  /** Codes print as their labels; the glossary at the end lists them. */
  labels: Labels
  /** Starts a section: its heading, and its entry in the contents and the PDF's bookmarks. */
  section(title: string, level?: 1 | 2): void
  /** Days after an override event by which its review is due. */
  reviewDays: number
  overview: AuditOverview
}

export type AuditOverview = Awaited<ReturnType<typeof readOverview>>

/**
 * What the executive summary needs, read first (small queries, same snapshot); the sections
 * print the same figures in full.
 */
export async function readOverview(db: Db, scope: ReportScope, reviewDays: number) {
  const promiseEvidence = await listPromiseEvidence(db, scope)
  const total = await countDisclosures(db, scope)
  const purposes = await sumDisclosuresByPurpose(db, scope)
  // Counted by case in the database: a period can hold a million findings (decision 036).
  const findingCases = await findingCasesAboutPeriod(db, scope)
  const reviewState = await overrideReviewState(db, scope, reviewDays)
  const coverage = await listSourceCoverage(db, scope)
  const runs = await listWindowRuns(db, scope)
  const gaps = await listWindowGaps(db, scope)
  const quarantine = await listWindowQuarantine(db, scope)
  const sum = (cases: typeof findingCases, n: (c: (typeof findingCases)[number]) => number) => cases.reduce((t, c) => t + n(c), 0)
  return {
    promiseEvidence,
    total,
    purposes,
    findingCases,
    findingTotals: {
      all: sum(findingCases, (c) => c.findings),
      open: sum(findingCases, (c) => c.open),
      openHigh: sum(
        findingCases.filter((c) => c.severity === 'high'),
        (c) => c.open,
      ),
    },
    reviewState,
    coverage,
    runs,
    gaps,
    quarantine,
    /** Sources not collected since the period ended. */
    uncovered: coverage.filter((c) => c.coveredAt === null),
    failedRuns: runs.filter((r) => r.status === 'failed'),
  }
}

/** A pseudonym of the widest usual form (jobs/pseudonym.ts PSEUDONYM_PATTERN); wider ones shrink in their cell. */
export const PSEUDONYM_SAMPLE = 'P-0000-0000-0000'
