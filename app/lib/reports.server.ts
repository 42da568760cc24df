import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { AppLoadContext } from '@remix-run/node'
import { z } from 'zod'
import { PeriodDay, ownValue } from '../../core/inputs.js'
import type { Role } from '../../db/queries/users.js'
import { generateReport, ReportError, verifyReport, type ReportKind } from '../../reports/index.js'
import { notFound, requireAccess, requirePractice, type Access, readForm } from './access.server.js'

type Args = { request: Request; context: AppLoadContext }

/** Who may produce which report (product.md): auditors the evidence pack, managers the ICB report, guardians the incident review. */
export const REPORT_ROLES: Record<ReportKind, readonly Role[]> = {
  audit: ['auditor', 'caldicott_guardian', 'practice_manager', 'admin'],
  commissioner: ['practice_manager', 'caldicott_guardian', 'admin'],
  incident: ['caldicott_guardian'],
}

export async function getReportsPage(args: Args) {
  const access = await requireAccess(args)
  const mine = new Set(access.viewer.practices.map((p) => p.odsCode))
  const rows = await access.db('report_exports').orderBy('generated_at', 'desc').limit(200)
  // A report is listed only when every practice it covers is one of the viewer's.
  const exports = rows
    .map((r) => ({ ...r, params: typeof r.params === 'string' ? JSON.parse(r.params) : r.params }))
    .filter((r) => (r.params.practices ?? []).every((ods: string) => mine.has(ods)))
    .slice(0, 50)
    .map((r) => ({
      id: r.id as string,
      kind: r.kind as ReportKind,
      practices: (r.params.practices ?? []) as string[],
      from: r.params.from as string,
      to: r.params.to as string,
      generatedBy: r.generated_by as string,
      generatedAt: r.generated_at as Date,
      sha256: r.pdf_sha256 as string,
    }))
  const allowed = (Object.keys(REPORT_ROLES) as ReportKind[]).filter((k) => REPORT_ROLES[k].includes(access.viewer.role))
  return { exports, allowed }
}

const Day = PeriodDay
const GenerateSchema = z
  .object({
    kind: z.enum(['audit', 'commissioner', 'incident'], { message: 'Choose which report to produce.' }),
    from: Day,
    to: Day,
    eventId: z.preprocess((v) => (v === '' || v === null ? undefined : v), z.coerce.number().int().positive().optional()),
  })
  .refine((v) => v.from <= v.to, 'The start date is after the end date.')
  .refine((v) => v.kind !== 'incident' || v.eventId !== undefined, 'An incident review needs the override event number.')

/**
 * Produces a report as a download. The report is recorded (who, scope, digests, the PDF's
 * SHA-256) by generateReport, and the download is written to the access log.
 */
export async function generateReportDownload(args: Args): Promise<Response> {
  const form = await readForm(args.request)
  const kind = String(form.get('kind') ?? '') as ReportKind
  const access = await requireAccess(args, { roles: ownValue(REPORT_ROLES, kind) ?? ['admin'] })
  const parsed = GenerateSchema.safeParse({ kind, from: form.get('from'), to: form.get('to'), eventId: form.get('eventId') })
  if (!parsed.success) return textResponse(400, parsed.error.issues[0]!.message)
  const practiceIds = chosenPractices(access, form.getAll('practice').map(String).filter(Boolean))
  if (parsed.data.eventId !== undefined) {
    const event = await access.db('override_events').where({ id: parsed.data.eventId }).first('practice_id')
    if (!event) throw notFound()
    requirePractice(access, event.practice_id)
  }
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-report-')), 'report.pdf')
  try {
    const report = await generateReport(
      access.db,
      { ...parsed.data, practiceIds, generatedBy: access.viewer.email, generatedByUserId: access.viewer.id },
      file,
    )
    await access.log('report_download', {
      practiceIds,
      target: `report:${report.id}`,
      detail: { kind, from: parsed.data.from, to: parsed.data.to, practices: practiceIds, sha256: report.sha256 },
    })
    const bytes = new Uint8Array(fs.readFileSync(file))
    return new Response(bytes, {
      headers: {
        'Content-Type': 'application/pdf',
        'Content-Disposition': `attachment; filename="${kind}-report-${parsed.data.from}-${parsed.data.to}.pdf"`,
        'Cache-Control': 'no-store',
      },
    })
  } catch (err) {
    if (err instanceof ReportError) return textResponse(400, err.message)
    throw err
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true })
  }
}

/** Checks an uploaded PDF against the recorded reports: genuine and unaltered, or not. */
export async function verifyUpload(args: Args) {
  const access = await requireAccess(args)
  const upload = (await readForm(args.request)).get('file')
  if (!(upload instanceof Blob) || upload.size === 0) return { ok: false as const, message: 'Choose a PDF file to check.' }
  const verified = await verifyReport(access.db, Buffer.from(await upload.arrayBuffer()))
  await access.log('report_verify', { outcome: verified ? 'ok' : 'failed', target: verified ? `report:${verified.id}` : null })
  if (!verified) return { ok: false as const, message: 'This file is not a report Sharing Ledger produced, or it has been altered since.' }
  return {
    ok: true as const,
    message: `Genuine and unaltered: ${verified.kind} report ${verified.id} for ${verified.practices.join(', ')}, ${verified.from} to ${verified.to}, generated by ${verified.generatedBy}.`,
  }
}

function chosenPractices(access: Access, odsCodes: string[]): number[] {
  if (odsCodes.length === 0) return access.practiceIds
  return odsCodes.map((ods) => {
    const p = access.viewer.practices.find((x) => x.odsCode === ods.toUpperCase())
    if (!p) throw notFound()
    return p.id
  })
}

function textResponse(status: number, message: string): Response {
  return new Response(message, { status, headers: { 'Content-Type': 'text/plain; charset=utf-8' } })
}
