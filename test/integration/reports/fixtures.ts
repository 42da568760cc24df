import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import type { Db } from '../../../db/client.js'
import { addAgreement } from '../../../db/queries/agreements.js'
import { ensureOrganisation } from '../../../db/queries/organisations.js'
import { ensurePractice } from '../../../db/queries/practices.js'
import { upsertDisclosures, upsertOverrideEvents, upsertPatientChoices, type DisclosureRecord } from '../../../db/queries/records.js'
import { addSource } from '../../../db/queries/sources.js'

// A known dataset for the report tests: two practices in March 2026, with fixed numbers of
// disclosures per purpose and recipient, an override with a review, opt-outs, an agreement
// and collector runs (one failed).

export const OUTPUT_DIR = path.resolve('test-output/reports')
// A fresh clone has no test-output/ (it is not committed).
fs.mkdirSync(OUTPUT_DIR, { recursive: true })

export interface ReportDataset {
  practices: Array<{ id: number; ods: string; sourceId: number }>
  overrideId: number
  overridePatient: string
  reviewerName: string
}

/** [purpose, recipient index, practice index, count] */
export const PLAN: Array<[string, number, number, number]> = [
  ['direct_care', 0, 0, 180],
  ['direct_care', 1, 0, 23],
  ['research', 2, 0, 12],
  ['commissioning', 3, 0, 4],
  ['direct_care', 0, 1, 57],
  ['research', 2, 1, 3],
]
export const RECIPIENTS: Array<[string, string, string | null]> = [
  ['Royal Hospital NHS Trust', 'nhs_trust', 'RXX'],
  ['Community Pharmacy Ltd', 'independent_contractor', 'FAA01'],
  ['University Research Unit', 'research_org', null],
  ['North ICB', 'icb', 'QAA'],
]

let seq = 0
export async function seedReportDataset(db: Db, odsCodes: [string, string] = ['R10001', 'R10002']): Promise<ReportDataset> {
  const practices: ReportDataset['practices'] = []
  for (const ods of odsCodes) {
    const p = await ensurePractice(db, { odsCode: ods, name: `Test Surgery ${ods}` })
    await db('practices').where({ id: p.id }).update({ list_size: 8000 })
    const s = await addSource(db, { practiceId: p.id, kind: 'fhir', name: `${ods} FHIR`, baseUrl: `http://127.0.0.1:1/${ods}/fhir` })
    practices.push({ id: p.id, ods, sourceId: s.id })
  }
  const orgIds: number[] = []
  for (const [name, type, ods] of RECIPIENTS) orgIds.push(await ensureOrganisation(db, { odsCode: ods, name, recipientType: type }))

  const records: DisclosureRecord[] = []
  for (const [purpose, r, pi, count] of PLAN) {
    const p = practices[pi]!
    for (let i = 0; i < count; i++) {
      const n = ++seq
      const day = 1 + (n % 28)
      records.push({
        practice_id: p.id,
        source_id: p.sourceId,
        source_record_id: `ae-${n}`,
        source_version: '1',
        occurred_at: `2026-03-${String(day).padStart(2, '0')}T${String(9 + (n % 8)).padStart(2, '0')}:${String(n % 60).padStart(2, '0')}:00Z`,
        patient_pseudonym: `PSN-${String(n % 97).padStart(4, '0')}`,
        recipient_id: orgIds[r]!,
        purpose,
        purpose_code: null,
        legal_basis: purpose === 'direct_care' ? 'implied_consent' : null,
        data_level: purpose === 'research' ? 'pseudonymised' : 'identifiable',
        data_description: 'Summary care record extract including medication and allergy history',
        disclosed_by_role: 'GP',
        disclosed_by: 'staff-1',
        run_id: null,
      } as DisclosureRecord)
    }
  }
  // one disclosure outside the period, which no report of March may show
  records.push({ ...records[0]!, source_record_id: 'ae-outside', occurred_at: '2026-04-02T10:00:00Z' })
  for (let i = 0; i < records.length; i += 500) await upsertDisclosures(db, records.slice(i, i + 500))

  const p0 = practices[0]!
  const overridePatient = 'PSN-0005'
  await upsertOverrideEvents(db, [
    {
      practice_id: p0.id,
      source_id: p0.sourceId,
      source_record_id: 'ov-1',
      source_version: '1',
      occurred_at: '2026-03-10T11:00:00Z',
      patient_pseudonym: overridePatient,
      kind: 'break_glass',
      reason_code: 'OVRER',
      purpose_code: 'BTG',
      legal_basis: 'vital_interests',
      actor_role: 'GP',
      actor: 'staff-7',
      recipient_id: orgIds[0]!,
      description: 'Emergency access in A&E',
      run_id: null,
    },
  ])
  const overrideId = (await db('override_events').where({ source_record_id: 'ov-1' }).first('id')).id
  const reviewerName = 'Dr Ada Guardian'
  const [user] = await db('users')
    .insert({ email: `guardian${++seq}@example.nhs.uk`, display_name: reviewerName, password_hash: 'x', role: 'caldicott_guardian' })
    .returning('id')
  await db('override_reviews').insert({
    override_event_id: overrideId,
    reviewer_id: user.id,
    verdict: 'justified',
    reasons: 'Patient unconscious; emergency treatment.',
    signed_at: '2026-03-12T09:00:00Z',
  })

  // opt-outs: 9 NDOP deny choices at practice 0, 2 at practice 1
  const choices = []
  for (const [pi, n] of [
    [0, 9],
    [1, 2],
  ] as const) {
    const p = practices[pi]!
    for (let i = 0; i < n; i++) {
      choices.push({
        practice_id: p.id,
        source_id: p.sourceId,
        source_record_id: `cn-${++seq}`,
        source_version: '1',
        patient_pseudonym: `PSN-OPT-${pi}-${i}`,
        kind: 'ndop' as const,
        decision: 'deny' as const,
        effective_at: '2026-02-01T00:00:00Z',
        code_system: null,
        code: null,
        status: 'active' as const,
        run_id: null,
      })
    }
  }
  choices.push({
    ...choices[0]!,
    source_record_id: 'cn-incident',
    patient_pseudonym: overridePatient,
    effective_at: '2026-03-20T08:00:00Z',
  })
  await upsertPatientChoices(db, choices)

  await addAgreement(db, {
    reference: 'DSA-RPT-1',
    recipientId: orgIds[0]!,
    dataLevel: 'identifiable',
    validFrom: '2025-01-01',
    validTo: null,
    description: null,
    purposes: ['direct_care'],
    practiceIds: [p0.id],
  })
  await db('job_runs').insert([
    {
      job_name: 'collect-fhir',
      source_id: p0.sourceId,
      trigger: 'schedule',
      status: 'completed',
      started_at: '2026-03-01T02:00:00Z',
      finished_at: '2026-03-01T02:01:00Z',
      read_count: 100,
      inserted_count: 100,
    },
    {
      job_name: 'collect-fhir',
      source_id: p0.sourceId,
      trigger: 'schedule',
      status: 'failed',
      started_at: '2026-03-02T02:00:00Z',
      finished_at: '2026-03-02T02:00:05Z',
      error: 'HTTP 503 from the practice system',
    },
    {
      job_name: 'collect-fhir',
      source_id: p0.sourceId,
      trigger: 'schedule',
      status: 'completed',
      started_at: '2026-03-05T02:00:00Z',
      finished_at: '2026-03-05T02:01:00Z',
      read_count: 119,
      inserted_count: 119,
    },
  ])
  return { practices, overrideId, overridePatient, reviewerName }
}

/** pdftotext -layout, one string per page. */
export function pdfPages(file: string): string[] {
  const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 })
  const pages = text.split('\f')
  if (pages.at(-1)?.trim() === '') pages.pop()
  return pages
}

export function pdfPageCount(file: string): number {
  const info = execFileSync('pdfinfo', [file], { encoding: 'utf8' })
  return Number(/Pages:\s+(\d+)/.exec(info)![1])
}

/** Keeps a PNG of the first page in test-output/reports/ for a human to look at. */
export function keepFirstPagePng(file: string, name: string, page = 1): void {
  fs.mkdirSync(OUTPUT_DIR, { recursive: true })
  execFileSync('pdftoppm', ['-png', '-r', '50', '-f', String(page), '-l', String(page), '-singlefile', file, path.join(OUTPUT_DIR, name)])
}

/** Uncompressed, editable copy (qpdf's QDF form), so a test can change one glyph of the page text. */
function qdf(file: string): string {
  const out = file.replace(/\.pdf$/, '.qdf.pdf')
  execFileSync('qpdf', ['--qdf', '--object-streams=disable', file, out])
  return out
}

/**
 * Changes page `n`'s text: in the page's content stream, the first text string with two
 * different adjacent glyph codes has those two swapped (qpdf writes a string as (literal) or
 * <hex>; a glyph code is one byte in a simple font, two in a composite one). Returns the
 * file, re-assembled with fix-qdf.
 */
export function alterPageText(file: string, n: number): string {
  const text = fs.readFileSync(qdf(file), 'latin1')
  const bytesPerGlyph = /\/Subtype\s*\/Type0/.test(text) ? 2 : 1
  // QDF writes "%% Contents for page N" before each page's content stream.
  const start = text.indexOf(`%% Contents for page ${n}\n`)
  if (start < 0) throw new Error(`no page ${n} in ${file}`)
  const end = text.indexOf('endstream', start)
  const strings = /\(([^()\\]+)\)|<([0-9a-fA-F]+)>/g
  strings.lastIndex = start
  let m: RegExpExecArray | null
  while ((m = strings.exec(text)) && m.index < end) {
    const literal = m[1] !== undefined
    const body = literal ? m[1]! : m[2]!
    const unit = literal ? bytesPerGlyph : 2 * bytesPerGlyph
    for (let i = 0; i + 2 * unit <= body.length; i += unit) {
      const a = body.slice(i, i + unit)
      const b = body.slice(i + unit, i + 2 * unit)
      if (a.toLowerCase() !== b.toLowerCase()) {
        const swapped = body.slice(0, i) + b + a + body.slice(i + 2 * unit)
        const edited = text.slice(0, m.index + 1) + swapped + text.slice(m.index + 1 + body.length)
        const out = file.replace(/\.pdf$/, `.page${n}.pdf`)
        const qdfOut = `${out}.qdf`
        fs.writeFileSync(qdfOut, edited, 'latin1')
        fs.writeFileSync(out, execFileSync('fix-qdf', [qdfOut]))
        return out
      }
    }
  }
  throw new Error(`no text to alter on page ${n}`)
}

/**
 * The evidence pack's text after its contents page (which lists every section title once
 * more): from the body's "Method and limitations" on.
 */
export function packBody(text: string): string {
  const first = text.indexOf('Method and limitations')
  const body = text.indexOf('Method and limitations', first + 1)
  if (first < 0 || body < 0) throw new Error('not an evidence pack with a contents page')
  return text.slice(body)
}
