import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createReadableStreamFromReadable, redirect, type AppLoadContext } from '@remix-run/node'
import { boundedInt, ownValue } from '../../core/inputs.js'
import { deleteReportFilesBefore, keptReportFiles, readReportFileChunk, storeReportFile } from '../../db/queries/report-files.js'
import { ROLES } from '../../db/queries/users.js'
import { REPORT_FILE_KEEP_DAYS, REPORT_ROLES } from '../../core/report-roles.js'
import {
  checkReportRequest,
  produceReport,
  recordReport,
  reportFileName,
  ReportError,
  verifyRecordedReport,
  type ProducedReport,
  type ReportKind,
  type ReportRequest,
} from '../../reports/index.js'
import { requireSigningKey } from '../../config/env.js'
import { PROGRESS_TOKEN, readProgress, trackProgress } from './report-progress.server.js'
import { publicKeyFingerprint } from '../../core/signing.js'
import { notFound, readForm, requireAccess, type Access } from './access.server.js'
import { checkPeriodFields } from './period.server.js'

type Args = { request: Request; context: AppLoadContext }

// Who may produce which report: one list with the scheduled reports' recipients (core/report-roles.ts).
export { REPORT_ROLES }

/** Reports produced from the /reports form; a patient's statement has its own page (/statements). */
const FORM_KINDS: readonly ReportKind[] = ['audit', 'commissioner', 'incident', 'annual']

export { REPORT_FILE_KEEP_DAYS }

type ReportFormField = 'kind' | 'practice' | 'from' | 'to' | 'eventId'
export type ReportFormErrors = Partial<Record<ReportFormField | 'form', string>>
export interface ReportFormValues {
  kind: string
  practice: string[]
  from: string
  to: string
  eventId: string
}

function readValues(source: { get(name: string): unknown; getAll(name: string): unknown[] }): ReportFormValues {
  const one = (name: string) => {
    const v = source.get(name)
    return typeof v === 'string' ? v.slice(0, 40) : ''
  }
  return {
    kind: one('kind'),
    practice: source
      .getAll('practice')
      .filter((v): v is string => typeof v === 'string' && v !== '')
      .map((v) => v.toUpperCase()),
    from: one('from'),
    to: one('to'),
    eventId: one('eventId'),
  }
}

function valuesQuery(v: ReportFormValues): string {
  const q = new URLSearchParams({ kind: v.kind })
  v.practice.forEach((p) => q.append('practice', p))
  q.set('from', v.from)
  q.set('to', v.to)
  if (v.eventId) q.set('eventId', v.eventId)
  return q.toString()
}

/**
 * Checks what the form sent, as the page will show it: each message keyed by its field. The
 * download action and the page's loader both call this, so a request bounced back to the form
 * shows exactly why, with no state kept between the two. Practices outside the viewer's are a
 * 404 (the form never offers them).
 */
async function checkReportForm(
  access: Access,
  v: ReportFormValues,
): Promise<{ ok: true; request: ReportRequest } | { ok: false; errors: ReportFormErrors }> {
  const errors: ReportFormErrors = {}
  const kind = (FORM_KINDS as readonly string[]).includes(v.kind) ? (v.kind as ReportKind) : undefined
  if (!kind) errors.kind = 'Choose which report to produce.'
  else if (!REPORT_ROLES[kind].includes(access.viewer.role)) errors.kind = 'Your role cannot produce this report: choose another.'
  const practiceIds = chosenPractices(access, v.practice)
  Object.assign(errors, checkPeriodFields(v.from, v.to))
  if (kind === 'annual' && !errors.practice && practiceIds.length !== 1)
    errors.practice = 'An annual Caldicott report covers one practice: choose the one whose board receives it.'
  let eventId: number | undefined
  if (kind === 'incident' || v.eventId.trim() !== '') {
    const r = boundedInt(1, 2_147_483_647).safeParse(v.eventId)
    if (v.eventId.trim() === '') errors.eventId = 'An incident review needs the override event number.'
    else if (!r.success) errors.eventId = 'The override event number must be a whole number, such as 42.'
    else {
      const event = await access.db('override_events').where({ id: r.data }).first('practice_id')
      // Outside the viewer's practices reads the same as absent.
      if (!event || !access.viewer.practices.some((p) => p.id === event.practice_id))
        errors.eventId = `There is no override event ${r.data} in your practices.`
      else eventId = r.data
    }
  }
  if (Object.keys(errors).length > 0 || !kind) return { ok: false, errors }
  const request: ReportRequest = {
    kind,
    practiceIds,
    from: v.from.trim(),
    to: v.to.trim(),
    ...(kind === 'incident' ? { eventId } : {}),
    generatedBy: access.viewer.email,
    generatedByUserId: access.viewer.id,
    overrideReviewDays: access.config.overrideReviewDays,
    signingKey: requireSigningKey(access.config),
  }
  try {
    await checkReportRequest(access.db, request)
  } catch (err) {
    if (!(err instanceof ReportError)) throw err
    return {
      ok: false,
      errors: kind === 'incident' ? { eventId: err.message } : kind === 'annual' ? { to: err.message } : { form: err.message },
    }
  }
  return { ok: true, request }
}

export async function getReportsPage(args: Args) {
  const access = await requireAccess(args)
  const mine = new Set(access.viewer.practices.map((p) => p.odsCode))
  const rows = await access.db('report_exports').orderBy('generated_at', 'desc').limit(200)
  // A report is listed only when every practice it covers is one of the viewer's.
  const listed = rows
    .map((r) => ({ ...r, params: typeof r.params === 'string' ? JSON.parse(r.params) : r.params }))
    .filter((r) => (r.params.practices ?? []).every((ods: string) => mine.has(ods)))
    .slice(0, 50)
  const kept = await keptReportFiles(
    access.db,
    listed.map((r) => r.id as string),
  )
  const exports = listed.map((r) => ({
    id: r.id as string,
    kind: r.kind as ReportKind,
    practices: (r.params.practices ?? []) as string[],
    from: r.params.from as string,
    to: r.params.to as string,
    generatedBy: r.generated_by as string,
    generatedAt: r.generated_at as Date,
    sha256: r.pdf_sha256 as string,
    // A link only to a file this viewer may fetch: kept, and a kind their role may produce.
    file: !REPORT_ROLES[r.kind as ReportKind].includes(access.viewer.role)
      ? ('not_for_role' as const)
      : kept.has(r.id)
        ? ('kept' as const)
        : ('not_kept' as const),
  }))
  const allowed = FORM_KINDS.filter((k) => REPORT_ROLES[k].includes(access.viewer.role))
  // Values sent back by a refused download (see downloadReport): shown again with their errors.
  const url = new URL(args.request.url)
  let form: { values: ReportFormValues; errors: ReportFormErrors } | null = null
  if (url.searchParams.has('kind')) {
    const values = readValues(url.searchParams)
    const checked = await checkReportForm(access, values)
    form = { values, errors: checked.ok ? {} : checked.errors }
  }
  const key = requireSigningKey(access.config)
  return {
    exports,
    allowed,
    form,
    keepDays: REPORT_FILE_KEEP_DAYS,
    signingKey: { fingerprint: publicKeyFingerprint(key), development: key.development },
  }
}

/**
 * POST /reports/download: produces a report and answers with the PDF as an attachment. A request
 * the form must correct is sent back to /reports with its values (303), where the page shows the
 * messages by their fields. The report is recorded (report_exports, its file kept for
 * downloading again) and `report_download ok` written to the access log only once the whole
 * file has been sent; a download the browser abandons is logged as failed and not recorded.
 */
export async function downloadReport(args: Args): Promise<Response> {
  const form = await readForm(args.request)
  const values = readValues(form)
  // An unknown kind passes the role check and is then refused at its field.
  const access = await requireAccess(args, { roles: ownValue(REPORT_ROLES, values.kind) ?? ROLES })
  const checked = await checkReportForm(access, values)
  if (!checked.ok) return redirect(`/reports?${valuesQuery(values)}`, 303)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-report-'))
  const file = path.join(dir, 'report.pdf')
  let produced: ProducedReport
  // The page polls /reports/progress with the token it sent, while it waits for the file.
  const token = form.get('progress')
  const tracker = typeof token === 'string' && PROGRESS_TOKEN.test(token) ? trackProgress(token, access.viewer.id) : null
  // Seconds of work: pages are not kept waiting behind it (server/request-gate.ts).
  args.context.leaveTurn?.()
  try {
    produced = await produceReport(access.db, { ...checked.request, ...(tracker ? { onProgress: tracker.onProgress } : {}) }, file)
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true })
    throw err
  } finally {
    tracker?.finish()
  }
  return deliverProducedReport(args, access, produced, dir, file, 'report_download')
}

/**
 * Sends a report produced into `file` (in the temporary `dir`) as an attachment; records it
 * (report_exports, the file kept for downloading again) and writes `action` to the access log
 * only once the whole file has been sent. The reports page and the statements page both end here.
 */
export function deliverProducedReport(
  args: Args,
  access: Access,
  produced: ProducedReport,
  dir: string,
  file: string,
  action: string,
  extraDetail: Record<string, unknown> = {},
): Response {
  const { scope } = produced
  const detail = {
    kind: produced.kind,
    from: scope.from,
    to: scope.to,
    practices: scope.practices.map((p) => p.odsCode),
    sha256: produced.sha256,
    ...extraDetail,
  }
  return sendWhenDelivered(args, {
    body: createReadableStreamFromReadable(fs.createReadStream(file)),
    fileName: reportFileName(produced.kind, detail.practices, scope.from, scope.to, produced.request.eventId),
    async delivered() {
      await access.db.transaction(async (trx) => {
        await recordReport(trx, produced)
        await storeReportFile(trx, produced.id, file)
      })
      await access.log(action, { practiceIds: scope.practiceIds, target: `report:${produced.id}`, detail })
      await deleteReportFilesBefore(access.db, new Date(Date.now() - REPORT_FILE_KEEP_DAYS * 86_400_000))
    },
    async abandoned() {
      await access.log(action, {
        outcome: 'failed',
        practiceIds: scope.practiceIds,
        target: `report:${produced.id}`,
        detail: { ...detail, reason: 'the connection closed before the whole file was sent; not recorded' },
      })
    },
    cleanUp: () => fs.rmSync(dir, { recursive: true, force: true }),
  })
}

/** GET /reports/:id/pdf: the very file recorded for a report in the viewer's practices, while it is kept. */
export async function downloadReportAgain(args: Args & { params: { id?: string } }): Promise<Response> {
  const access = await requireAccess(args)
  const id = args.params.id ?? ''
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) throw notFound()
  const row = await access.db('report_exports').where({ id }).first()
  if (!row) throw notFound()
  const params = typeof row.params === 'string' ? JSON.parse(row.params) : row.params
  const practices: string[] = params.practices ?? []
  const mine = new Set(access.viewer.practices.map((p) => p.odsCode))
  if (!practices.every((ods) => mine.has(ods)) || !REPORT_ROLES[row.kind as ReportKind].includes(access.viewer.role)) throw notFound()
  const first = await readReportFileChunk(access.db, id, 0)
  if (!first)
    throw new Response(
      `This report's file is no longer kept (files are kept for ${REPORT_FILE_KEEP_DAYS} days, or it was produced from the command line). Produce it again.`,
      { status: 410 },
    )
  let next = 1
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new Uint8Array(first))
    },
    async pull(controller) {
      const chunk = await readReportFileChunk(access.db, id, next++)
      if (chunk) controller.enqueue(new Uint8Array(chunk))
      else controller.close()
    },
  })
  const detail = { kind: row.kind, from: params.from, to: params.to, practices, sha256: row.pdf_sha256, again: true }
  const practiceIds: number[] = params.practiceIds ?? []
  return sendWhenDelivered(args, {
    body,
    fileName: reportFileName(row.kind, practices, params.from, params.to, params.eventId),
    delivered: () => access.log('report_download', { practiceIds, target: `report:${id}`, detail }),
    abandoned: () =>
      access.log('report_download', {
        outcome: 'failed',
        practiceIds,
        target: `report:${id}`,
        detail: { ...detail, reason: 'the connection closed before the whole file was sent' },
      }),
  })
}

/**
 * A PDF attachment whose `delivered` step runs once its last byte has been handed to the network
 * (server.ts: the response's 'finish'), or `abandoned` if the connection closed first. Not the
 * end of the body stream: Remix's Node adapter reads the whole body into the response's buffer
 * without waiting for the client, so that would mark a file sent that the client never took.
 */
function sendWhenDelivered(
  args: Args,
  o: { body: ReadableStream<Uint8Array>; fileName: string; delivered(): Promise<void>; abandoned(): Promise<void>; cleanUp?(): void },
): Response {
  const whenSent = args.context.whenResponseSent
  if (!whenSent) {
    o.cleanUp?.()
    throw new Error('The server does not report when a response has been sent (AppLoadContext.whenResponseSent): see server.ts.')
  }
  void whenSent()
    .then((sent) => (sent ? o.delivered() : o.abandoned()))
    .catch((err) => console.error(`Recording a report download failed: ${(err as Error).message}`))
    .finally(() => o.cleanUp?.())
  return new Response(o.body, {
    headers: {
      'Content-Type': 'application/pdf',
      'Content-Disposition': `attachment; filename="${o.fileName}"`,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    },
  })
}

/** GET /reports/progress?token=: how far the viewer's report has got (the page polls it while the file is produced). */
export async function reportProgress(args: Args) {
  const access = await requireAccess(args)
  const token = new URL(args.request.url).searchParams.get('token') ?? ''
  if (!PROGRESS_TOKEN.test(token)) return { status: 400, body: { error: 'The progress token is not one this page makes.' } }
  const progress = readProgress(token, access.viewer.id)
  return progress
    ? { status: 200, body: progress }
    : { status: 404, body: { error: 'No report of yours is being produced with this token.' } }
}

/**
 * Checks an uploaded PDF: its signature and every page's text (as `ledger verify` does
 * offline), then this database's record of it. Same function as the CLI.
 */
export async function verifyUpload(args: Args) {
  const access = await requireAccess(args)
  const upload = (await readForm(args.request)).get('file')
  if (!(upload instanceof Blob) || upload.size === 0) return { ok: false as const, message: 'Choose a PDF file to check.' }
  const key = requireSigningKey(access.config)
  const result = await verifyRecordedReport(access.db, Buffer.from(await upload.arrayBuffer()), key.publicKey)
  await access.log('report_verify', { outcome: result.ok ? 'ok' : 'failed', target: result.reportId ? `report:${result.reportId}` : null })
  const message = result.message.charAt(0).toUpperCase() + result.message.slice(1)
  return { ok: result.ok, message }
}

function chosenPractices(access: Access, odsCodes: string[]): number[] {
  if (odsCodes.length === 0) return access.viewer.practices.map((p) => p.id)
  return odsCodes.map((ods) => {
    const p = access.viewer.practices.find((x) => x.odsCode === ods.toUpperCase())
    if (!p) throw notFound()
    return p.id
  })
}
