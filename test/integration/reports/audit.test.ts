import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Writable } from 'node:stream'
import { generateReport, verifyReport } from '../../../reports/index.js'
import { useTestDatabase } from '../../support/db.js'
import { keepFirstPagePng, OUTPUT_DIR, pdfPageCount, pdfPages, PLAN, seedReportDataset, type ReportDataset, packBody } from './fixtures.js'

const t = useTestDatabase()
let data: ReportDataset
let tmp: string

beforeAll(async () => {
  data = await seedReportDataset(t.db)
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-report-audit-'))
})
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true })
})

const request = () => ({
  kind: 'audit' as const,
  practiceIds: data.practices.map((p) => p.id),
  from: '2026-03-01',
  to: '2026-03-31',
  generatedBy: 'test:auditor',
})

describe('audit evidence pack', () => {
  it('prints the figures of the database, the marking and page numbers on every page, and records itself', async () => {
    const file = path.join(tmp, 'audit.pdf')
    const r = await generateReport(t.db, request(), file)
    fs.copyFileSync(file, path.join(OUTPUT_DIR, 'audit.pdf'))
    keepFirstPagePng(file, 'audit-page1')
    keepFirstPagePng(file, 'audit-page2', 2)
    const pages = pdfPages(file)
    const n = pdfPageCount(file)
    expect(pages.length).toBe(n)
    expect(n).toBe(r.pages)
    pages.forEach((p, i) => {
      expect(p).toContain('OFFICIAL-SENSITIVE')
      expect(p).toContain(`Page ${i + 1} of ${n}`)
    })
    const text = pages.join('\n')
    expect(text).toContain(r.id)

    // totals and per-purpose counts against the database
    const total = PLAN.reduce((s, [, , , c]) => s + c, 0)
    const db = Number(
      (await t
        .db('disclosures')
        .whereIn('practice_id', request().practiceIds)
        .where('occurred_at', '<', '2026-04-01')
        .count({ n: '*' })
        .first())!.n,
    )
    expect(db).toBe(total)
    expect(r.rowCounts.disclosure_log).toBe(total)
    const summary = packBody(text)
    expect(summary).toMatch(new RegExp(`Disclosures\\s+${total}\\b`))
    // purposes print as their labels (the purposes code table), never as codes
    const byPurpose = await t
      .db('disclosures as d')
      .join('purposes as p', 'p.code', 'd.purpose')
      .whereIn('d.practice_id', request().practiceIds)
      .where('d.occurred_at', '<', '2026-04-01')
      .groupBy('p.label')
      .select('p.label')
      .count({ n: '*' })
    for (const row of byPurpose as Array<{ label: string; n: string }>)
      expect(summary).toMatch(new RegExp(`${row.label.replace(/[()]/g, '.')}\\s+${row.n}\\b`))

    // the log is a multi-page table with its header repeated on each page it continues on
    const logPages = pages.filter((p) => /Id\s+When\s+Practice\s+Patient\s+Recipient\s+Purpose\s+Legal basis, data/.test(p))
    expect(logPages.length).toBeGreaterThan(3)
    // every disclosure id of the period appears; the one outside does not
    const ids = await t.db('disclosures').whereIn('practice_id', request().practiceIds).where('occurred_at', '<', '2026-04-01').pluck('id')
    for (const id of ids.slice(0, 50)) expect(text).toMatch(new RegExp(`^\\s*${id}\\s+2026-03`, 'm'))
    expect(text).not.toContain('2026-04-02')

    // overrides with their review, findings, opt-outs, agreements, runs, manifest
    expect(text).toContain(data.reviewerName)
    expect(text).toContain('justified')
    expect(text).toContain('DSA-RPT-1')
    expect(text).toContain('HTTP 503 from the') // the error wraps in its column
    expect(text).toMatch(/Failed runs\s+1/)
    expect(pages.at(-1)).toContain('Manifest')
    for (const d of Object.values(r.sectionDigests)) expect(pages.at(-1)).toContain(d)

    // labels, not codes, until the glossary, which lists each code printed with its label (before the manifest)
    const glossaryAt = text.indexOf('Glossary of codes')
    expect(glossaryAt).toBeGreaterThan(0)
    expect(glossaryAt).toBeLessThan(text.lastIndexOf('Manifest'))
    const glossary = text.slice(glossaryAt, text.lastIndexOf('Manifest')).replace(/\s+/g, ' ')
    // (the label's first words: -layout interleaves a wrapped label with its neighbours)
    const codes: Array<[string, string]> = [
      ['direct_care', 'Direct care by'],
      ['implied_consent', 'Implied consent'],
      ['nhs_trust', 'NHS trust /'],
      ['research_org', 'Research organisation'],
      ['break_glass', 'Emergency access'],
      ['OVRER', 'Emergency treatment'],
      ['pseudonymised', 'Pseudonymised'],
    ]
    for (const [code, label] of codes) {
      expect(text.slice(0, glossaryAt)).not.toMatch(new RegExp(`\\b${code}\\b`))
      expect(glossary).toContain(`${code} ${label}`)
    }
    expect(r.rowCounts.glossary).toBeGreaterThanOrEqual(codes.length)

    // no NHS number (10 digits) and no names of patients anywhere
    expect(text).not.toMatch(/\b\d{3}\s?\d{3}\s?\d{4}\b/)

    const row = await t.db('report_exports').where({ id: r.id }).first()
    expect(row.kind).toBe('audit')
    expect(row.pdf_sha256).toBe(r.sha256)
    expect(row.generated_by).toBe('test:auditor')
    expect(row.row_counts.disclosure_log).toBe(total)
  })

  it('written to a stream in one pass: "Page X of Y" right on every page, the bytes verify, a changed byte does not', async () => {
    // The page numbers are form objects filled in when the document ends (reports/pdf/document.ts);
    // the bytes hashed and recorded must be exactly the bytes the caller received.
    const chunks: Buffer[] = []
    const sink = new Writable({
      highWaterMark: 64, // a slow reader: generateReport must still deliver every byte in order
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk)
        setImmediate(cb)
      },
    })
    const r = await generateReport(t.db, request(), sink)
    const bytes = Buffer.concat(chunks)
    const file = path.join(tmp, 'streamed.pdf')
    fs.writeFileSync(file, bytes)
    const n = pdfPageCount(file)
    expect(n).toBe(r.pages)
    expect(n).toBeGreaterThan(5)
    const pages = pdfPages(file)
    expect(pages.length).toBe(n)
    pages.forEach((p, i) => {
      const numbers = [...p.matchAll(/Page (\d+) of (\d+)/g)].map((m) => [Number(m[1]), Number(m[2])])
      expect(numbers).toEqual([[i + 1, n]])
    })

    const genuine = await verifyReport(t.db, bytes)
    expect(genuine?.id).toBe(r.id)
    expect(genuine?.sha256).toBe(r.sha256)
    // one byte changed in the last objects written (where the page numbers go), and one in the middle
    for (const at of [bytes.lastIndexOf('endobj') - 20, Math.floor(bytes.length / 2)]) {
      const altered = Buffer.from(bytes)
      altered[at] = altered[at]! ^ 0x01
      expect(await verifyReport(t.db, altered)).toBeUndefined()
    }
  })

  it('reads everything it prints from one snapshot: one connection, one REPEATABLE READ read-only transaction', async () => {
    // So a collector committing mid-report cannot make the summary disagree with the log.
    const seen: Array<{ uid: string; sql: string }> = []
    const listener = (q: { __knexUid: string; sql: string }) => seen.push({ uid: q.__knexUid, sql: q.sql })
    t.db.on('query', listener)
    let r: Awaited<ReturnType<typeof generateReport>>
    try {
      r = await generateReport(t.db, request(), path.join(tmp, 'snapshot.pdf'))
    } finally {
      t.db.removeListener('query', listener)
    }
    const start = seen.findIndex((q) => q.sql.includes('ISOLATION LEVEL REPEATABLE READ, READ ONLY'))
    const end = seen.findIndex((q) => q.sql.startsWith('insert into "report_exports"'))
    expect(start).toBeGreaterThan(-1)
    expect(end).toBeGreaterThan(start)
    const render = seen.slice(start, end)
    expect(render.some((q) => q.sql.startsWith('DECLARE report_rows'))).toBe(true)
    expect(render.length).toBeGreaterThan(10)
    expect(new Set(render.map((q) => q.uid))).toEqual(new Set([seen[start]!.uid]))
    expect(r.rowCounts.disclosure_log).toBeGreaterThan(0)
  })

  it('gives the same section digests for the same scope and data, with a new report id', async () => {
    const a = await generateReport(t.db, request(), path.join(tmp, 'a.pdf'))
    const b = await generateReport(t.db, request(), path.join(tmp, 'b.pdf'))
    expect(a.id).not.toBe(b.id)
    // Every section but the ledger's: recording report a is itself a ledger entry, so the
    // system-wide chain's head has moved on by the time b is made.
    const { ledger: ledgerA, ...restA } = a.sectionDigests
    const { ledger: ledgerB, ...restB } = b.sectionDigests
    expect(restB).toEqual(restA)
    expect(ledgerB).not.toBe(ledgerA)
    expect(b.rowCounts).toEqual(a.rowCounts)
  })
})
