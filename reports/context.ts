import type { SigningKey } from '../core/signing.js'
import type { Db } from './queries/index.js'
import type { ReportScope, ScopePractice } from './queries/index.js'
import type { Contents } from './pdf/contents.js'
import type { Doc } from './pdf/document.js'
import { SectionDigest } from './pdf/digest.js'

import { REPORT_KINDS, type ReportKind } from '../core/report-roles.js'
import { REPORT_TITLES } from '../core/labels.js'

export { REPORT_KINDS, type ReportKind }

export interface ReportRequest {
  kind: ReportKind
  practiceIds: number[]
  from: string
  to: string
  /** Incident review: the override event it is about. */
  eventId?: number
  /** Incident review: the finding it is about (one about a disclosure or an override). */
  findingId?: number
  generatedBy: string
  generatedByUserId?: number | null
  /** Days after an override event by which its Caldicott review is due (the configuration's OVERRIDE_REVIEW_DAYS); default 7. */
  overrideReviewDays?: number
  /** Disclosure statement: the patient, by pseudonym (the NHS number never gets this far). */
  patientPseudonym?: string
  /** Told how far the report has got (the web page shows it while a long report is produced). */
  onProgress?: (progress: ReportProgress) => void
  /** Signs the report's manifest; without one, the published development key (tests, the embedded demo) and the report says so. */
  signingKey?: SigningKey
}

export const DEFAULT_OVERRIDE_REVIEW_DAYS = 7

/** How far a report has got: the part being drawn and, for the long ones, rows drawn of how many. */
export interface ReportProgress {
  stage: string
  done: number
  total: number
}

export type { ScopePractice } from './queries/practices.js'

/** What a report module receives: the document, the database, the request, and a place for its section digests. */
export interface ReportContext {
  doc: Doc
  db: Db
  /** The contents page, when the report has one: sections mark where they start; its page numbers are written at the end. */
  contents?: Contents
  request: ReportRequest
  scope: ReportScope
  practices: ScopePractice[]
  id: string
  generatedAt: Date
  /** Digest of one section's rows, created on first use. */
  section(name: string): SectionDigest
  /**
   * Resolves once the PDF written so far has been taken by the output. A long section awaits it
   * between batches, so the file is written while it is drawn instead of piling up in memory.
   */
  drain(): Promise<void>
}

/** Each kind's title, as every other place names it. */
export const KIND_TITLES = REPORT_TITLES

export function practiceList(practices: ScopePractice[]): string {
  return practices.map((p) => p.odsCode).join(', ')
}

/** A request that cannot be served (unknown practice, bad period, missing event): the message says why. */
export class ReportError extends Error {}
