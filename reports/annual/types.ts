import type { ReportContext } from '../context.js'
import type { Labels } from '../labels.js'

/** What every section of the annual report is handed. */
export interface AnnualReport {
  ctx: ReportContext
  labels: Labels
  reviewDays: number
  /** Starts a numbered section: its heading, its contents entry and bookmark. */
  section(title: string): void
}
