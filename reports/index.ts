import crypto from 'node:crypto'
import fs from 'node:fs'
import { Writable } from 'node:stream'
import { once } from 'node:events'
import { finished } from 'node:stream/promises'
import type { Db } from './queries/index.js'
import { renderAudit } from './audit/index.js'
import { renderCommissioner } from './commissioner.js'
import { loadScopePractices } from './queries/index.js'
import {
  KIND_TITLES,
  REPORT_KINDS,
  ReportError,
  type ReportContext,
  type ReportKind,
  type ReportRequest,
  type ScopePractice,
} from './context.js'
import { renderIncident, resolveIncidentScope } from './incident.js'
import { checkStatementRequest, renderStatement } from './statement.js'
import { checkAnnualRequest, renderAnnual } from './annual/index.js'
import { SectionDigest } from './pdf/digest.js'
import { createDocument, endDocument } from './pdf/document.js'
import { DASH } from './pdf/format.js'
import { formatCount } from '../core/format.js'
import { heading, keyValues, paragraph } from './pdf/heading.js'
import { drawTable } from './pdf/table/index.js'
import { describeFileVerdict, verifyReportFile } from './verify-file.js'
import { developmentSigningKey, prepareSectionFiles, signatureLines, signDocument, type ReportManifest } from './signature.js'

// The registry (kind -> module that chooses the content) and the two things callers need:
// generateReport (render, hash, record in report_exports) and verifyReport.
//
// One rendering pass writes the file and hashes it as it goes; "Page X of Y" is filled in when
// the document ends (reports/pdf/document.ts). Nothing buffers pages, so memory stays bounded
// whatever the size of the disclosure log (docs/decisions/009-reports.md).

export { REPORT_KINDS, ReportError, type ReportKind, type ReportRequest } from './context.js'
export { loadScopePractices } from './queries/index.js'

const RENDERERS: Record<ReportKind, (ctx: ReportContext) => Promise<void>> = {
  audit: renderAudit,
  commissioner: renderCommissioner,
  incident: renderIncident,
  statement: renderStatement,
  annual: renderAnnual,
}

export interface GeneratedReport {
  id: string
  sha256: string
  pages: number
  rowCounts: Record<string, number>
  sectionDigests: Record<string, string>
}

interface RenderResult {
  manifest: ReportManifest
  pages: number
  rowCounts: Record<string, number>
  sectionDigests: Record<string, string>
  sha256: string
}

async function render(
  db: Db,
  request: ReportRequest,
  base: Omit<ReportContext, 'doc' | 'section' | 'db' | 'drain'>,
  out: Writable,
): Promise<RenderResult> {
  const doc = createDocument({
    title: `${KIND_TITLES[request.kind]} ${base.practices.map((p) => p.odsCode).join(', ')} ${base.scope.from} to ${base.scope.to}`,
    subject: `Sharing Ledger report ${base.id}`,
    creationDate: base.generatedAt,
  })
  const hash = crypto.createHash('sha256')
  // Not doc.pipe(out): a pipe pauses the document whenever the output's buffer is full, and
  // pdfkit keeps pushing into the paused stream, so a fast render held the whole PDF in memory
  // (~100 MB for the 100,000-row pack). Every chunk goes straight to the output (which writes
  // all it has buffered at once), and long sections await `drain` between batches.
  doc.on('data', (chunk: Buffer) => {
    hash.update(chunk)
    out.write(chunk)
  })
  doc.on('end', () => out.end())
  const written = finished(out)
  written.catch(() => {}) // awaited below
  const sections = new Map<string, SectionDigest>()
  const ctx: ReportContext = {
    ...base,
    db,
    doc,
    section(name) {
      let s = sections.get(name)
      if (!s) sections.set(name, (s = new SectionDigest()))
      return s
    },
    async drain() {
      if (out.writableNeedDrain && !out.destroyed) await Promise.race([once(out, 'drain'), written])
    },
  }
  const key = request.signingKey ?? developmentSigningKey()
  request.onProgress?.({ stage: 'Reading the figures', done: 0, total: 0 })
  let files: Awaited<ReturnType<typeof prepareSectionFiles>>
  try {
    await RENDERERS[request.kind](ctx)
    request.onProgress?.({ stage: 'Signing', done: 0, total: 0 })
    manifestPage(ctx, sections, signatureLines(key))
    files = await prepareSectionFiles(sections)
  } catch (err) {
    for (const s of sections.values()) s.discard()
    endDocument(doc)
    throw err
  }
  let signed: ReportManifest | undefined
  const pages = endDocument(doc, (pages) => {
    ctx.contents?.finish()
    signed = signDocument(
      doc,
      key,
      {
        reportId: base.id,
        kind: request.kind,
        practices: base.practices.map((p) => p.odsCode),
        from: base.scope.from,
        to: base.scope.to,
        ...(request.eventId !== undefined ? { eventId: request.eventId } : {}),
        ...(request.findingId !== undefined ? { findingId: request.findingId } : {}),
        generatedBy: request.generatedBy,
        generatedAt: base.generatedAt.toISOString(),
      },
      pages,
      files,
    )
  })
  await written
  return {
    manifest: signed!,
    pages,
    sha256: hash.digest('hex'),
    rowCounts: Object.fromEntries([...sections].map(([k, s]) => [k, s.rows])),
    sectionDigests: Object.fromEntries([...sections].map(([k, s]) => [k, s.digest()])),
  }
}

/** The last page: per section the row count and SHA-256 of its canonical rows, the report id, and the signing key. */
function manifestPage(ctx: ReportContext, sections: Map<string, SectionDigest>, keyLines: string[]): void {
  const { doc } = ctx
  doc.addPage()
  heading(doc, 'Manifest')
  ctx.contents?.mark('Manifest')
  paragraph(
    doc,
    'Per section: the number of rows and the SHA-256 digest of its rows in canonical form (one JSON array per row, ' +
      'values in the printed column order, times in ISO-8601 UTC, joined by newlines, in printed order). ' +
      'The same scope over the same data gives the same digests.',
    { size: 9 },
  )
  keyValues(doc, [['Report id', ctx.id]])
  drawTable(
    doc,
    [
      { header: 'Section', width: 2.2 },
      { header: 'Rows', width: 1, align: 'right' },
      { header: 'SHA-256', width: 7 },
    ],
    [...sections].map(([name, s]) => [name, formatCount(s.rows), s.digest()]),
  )
  heading(doc, 'Signature', 2)
  paragraph(
    doc,
    "Attached to this PDF: each section's rows (section-NAME.jsonl, whose SHA-256 is the digest above), and a manifest " +
      "with the SHA-256 of every page's text, signed with the key below. A changed character on any page, or a changed row, breaks it.",
    { size: 9 },
  )
  for (const line of keyLines) paragraph(doc, line, { size: 8, bold: line.startsWith('WARNING') })
}

/** A report's scope once checked: the practices (sorted) and period; for an incident review, the event's. */
export interface CheckedScope {
  practiceIds: number[]
  from: string
  to: string
  practices: ScopePractice[]
}

/**
 * Everything that can make a request unservable, checked before a byte is rendered (so the web
 * form can show it at the field and nothing is half-sent). Throws ReportError with the reason.
 */
export async function checkReportRequest(db: Db, request: ReportRequest): Promise<CheckedScope> {
  if (!REPORT_KINDS.includes(request.kind)) throw new ReportError(`Unknown report kind ${request.kind}.`)
  if (request.practiceIds.length === 0) throw new ReportError('A report needs at least one practice.')
  let scope = { practiceIds: [...request.practiceIds].sort((a, b) => a - b), from: request.from, to: request.to }
  if (request.kind === 'incident') scope = await resolveIncidentScope(db, request)
  if (request.kind === 'statement') checkStatementRequest(request)
  if (request.kind === 'annual') checkAnnualRequest(scope)
  if (scope.from > scope.to) throw new ReportError('The period starts after it ends.')
  const practices = await loadScopePractices(db, scope.practiceIds)
  if (practices.length !== scope.practiceIds.length) throw new ReportError('Unknown practice in the scope.')
  return { ...scope, practices }
}

/** A rendered report, not yet recorded: recordReport makes it genuine (verifiable). */
export interface ProducedReport extends GeneratedReport {
  kind: ReportKind
  request: ReportRequest
  scope: CheckedScope
  generatedAt: Date
}

/**
 * Renders and hashes a report into `out` without recording it. The web delivery records it
 * only once the file has been sent (app/lib/reports.server.ts); everything else calls
 * generateReport. A Writable `out` must be consumed while the report is written.
 */
export async function produceReport(db: Db, request: ReportRequest, out: Writable | string): Promise<ProducedReport> {
  const scope = await checkReportRequest(db, request)
  const generatedAt = new Date(Math.floor(Date.now() / 1000) * 1000)
  const base = {
    request,
    scope: { practiceIds: scope.practiceIds, from: scope.from, to: scope.to },
    practices: scope.practices,
    id: crypto.randomUUID(),
    generatedAt,
  }

  const stream = typeof out === 'string' ? fs.createWriteStream(out) : out
  let result: RenderResult
  try {
    // One snapshot for the whole report: its summary counts, tables and streamed log all see the
    // same committed data, so a collector writing meanwhile cannot make the summary disagree with
    // the log (REPEATABLE READ; read only, so it never blocks a writer or takes a lock that could).
    result = await db.transaction(async (trx) => {
      await trx.raw('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY')
      return render(trx, request, base, stream)
    })
  } catch (err) {
    if (typeof out === 'string') fs.rmSync(out, { force: true }) // never leave half a report behind
    throw err
  }
  return {
    id: base.id,
    kind: request.kind,
    request,
    scope,
    generatedAt,
    sha256: result.sha256,
    pages: result.pages,
    rowCounts: result.rowCounts,
    sectionDigests: result.sectionDigests,
  }
}

/** Records a produced report in report_exports: from then on `verify` knows it. */
export async function recordReport(db: Db, r: ProducedReport): Promise<void> {
  await db('report_exports').insert({
    id: r.id,
    kind: r.kind,
    params: JSON.stringify({
      practiceIds: r.scope.practiceIds,
      practices: r.scope.practices.map((p) => p.odsCode),
      from: r.scope.from,
      to: r.scope.to,
      ...(r.request.eventId !== undefined ? { eventId: r.request.eventId } : {}),
      ...(r.request.findingId !== undefined ? { findingId: r.request.findingId } : {}),
      ...(r.request.patientPseudonym !== undefined ? { patient: r.request.patientPseudonym } : {}),
      pages: r.pages,
    }),
    generated_by_user_id: r.request.generatedByUserId ?? null,
    generated_by: r.request.generatedBy,
    generated_at: r.generatedAt,
    row_counts: JSON.stringify(r.rowCounts),
    section_digests: JSON.stringify(r.sectionDigests),
    pdf_sha256: r.sha256,
  })
}

/** Renders, hashes and records a report (CLI, benchmark, tests). */
export async function generateReport(db: Db, request: ReportRequest, out: Writable | string): Promise<GeneratedReport> {
  const r = await produceReport(db, request, out)
  await recordReport(db, r)
  return { id: r.id, sha256: r.sha256, pages: r.pages, rowCounts: r.rowCounts, sectionDigests: r.sectionDigests }
}

const FILE_KIND: Record<ReportKind, string> = {
  audit: 'evidence-pack',
  commissioner: 'commissioner-report',
  incident: 'incident-review',
  statement: 'disclosure-statement',
  annual: 'annual-caldicott-report',
}

/**
 * The download's file name: type, scope and period, e.g. evidence-pack_Y12345_2026-07-01_2026-09-30.pdf
 * (several practices joined by '-', more than three counted; an incident review names its event).
 */
export function reportFileName(kind: ReportKind, practices: string[], from: string, to: string, eventId?: number): string {
  const scope = practices.length > 3 ? `${practices.length}-practices` : practices.join('-')
  return `${[FILE_KIND[kind], scope, ...(eventId !== undefined ? [`event-${eventId}`] : []), from, to].join('_')}.pdf`
}

export interface VerifiedReport {
  id: string
  kind: ReportKind
  practices: string[]
  from: string
  to: string
  eventId?: number
  findingId?: number
  generatedBy: string
  generatedAt: Date
  sha256: string
  rowCounts: Record<string, number>
}

/** The recorded report whose PDF bytes are exactly these, or undefined (altered or unknown). */
export async function verifyReport(db: Db, bytes: Buffer): Promise<VerifiedReport | undefined> {
  const sha256 = crypto.createHash('sha256').update(bytes).digest('hex')
  const row = await db('report_exports').where({ pdf_sha256: sha256 }).first()
  if (!row) return undefined
  const params = typeof row.params === 'string' ? JSON.parse(row.params) : row.params
  return {
    id: row.id,
    kind: row.kind,
    practices: params.practices ?? [],
    from: params.from,
    to: params.to,
    eventId: params.eventId,
    findingId: params.findingId,
    generatedBy: row.generated_by,
    generatedAt: new Date(row.generated_at),
    sha256,
    rowCounts: typeof row.row_counts === 'string' ? JSON.parse(row.row_counts) : row.row_counts,
  }
}

/**
 * A file checked against its signature AND this database's record of it (the CLI without
 * --public-key, and "Check a report" on /reports). Reports made before reports were signed
 * carry no manifest: they are still known by their recorded SHA-256.
 */
export async function verifyRecordedReport(
  db: Db,
  bytes: Buffer,
  publicKey: crypto.KeyObject,
): Promise<{ ok: boolean; message: string; reportId?: string }> {
  const verdict = await verifyReportFile(bytes, publicKey)
  if (verdict.status === 'unsigned') {
    const recorded = await verifyReport(db, bytes)
    if (recorded)
      return {
        ok: true,
        reportId: recorded.id,
        message: `${describeVerified(recorded)} (an unsigned report from before reports were signed: checked by its recorded SHA-256)`,
      }
  }
  if (verdict.status !== 'genuine' && verdict.status !== 'resaved')
    return { ok: false, message: describeFileVerdict(verdict), ...('manifest' in verdict ? { reportId: verdict.manifest.reportId } : {}) }
  const id = verdict.manifest.reportId
  const row = await db('report_exports').where({ id }).first()
  if (!row)
    return { ok: false, reportId: id, message: `not recorded: the signature is valid, but this database has no record of report ${id}` }
  const sha256 = crypto.createHash('sha256').update(bytes).digest('hex')
  if (row.pdf_sha256 === sha256)
    return { ok: true, reportId: id, message: `${describeFileVerdict(verdict)}; recorded in this database with the same SHA-256` }
  return {
    ok: true,
    reportId: id,
    message: `${describeFileVerdict({ status: 'resaved', manifest: verdict.manifest })}; recorded in this database with SHA-256 ${row.pdf_sha256}, this file's is ${sha256}`,
  }
}

/** The one line `ledger verify` prints for a genuine report. */
export function describeVerified(v: VerifiedReport): string {
  return `genuine: ${v.kind} report ${v.id} for ${v.practices.join(', ')} ${v.from}${DASH}${v.to}${v.eventId !== undefined ? ` (override event ${v.eventId})` : ''}${v.findingId !== undefined ? ` (finding ${v.findingId})` : ''}, generated by ${v.generatedBy} at ${v.generatedAt.toISOString()}`
}
