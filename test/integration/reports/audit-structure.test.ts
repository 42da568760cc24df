import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateReport } from '../../../reports/index.js'
import { useTestDatabase } from '../../support/db.js'
import { pdfPages, seedReportDataset, type ReportDataset } from './fixtures.js'

// The evidence pack's reading order (issue 15): the executive summary on page 2 with what an
// auditor must look at first, a contents page whose page numbers are right, PDF bookmarks to
// the same pages, the method and its limitations, the legal-basis breakdown and per-practice
// subtotals, each equal to a direct count.

const t = useTestDatabase()
let data: ReportDataset
let tmp: string
let file: string
let pages: string[]

const SECTIONS = [
  'Method and limitations',
  'Promises of the privacy notice',
  '1. Summary',
  '2. Sharing by purpose',
  'By legal basis',
  '3. Sharing by recipient',
  '4. Disclosure log',
  '5. Override events and their reviews',
  '6. Compliance findings',
  '7. Opt-out figures',
  '8. Data sharing agreements in force',
  '9. Collection completeness',
  '10. Ledger: chain heads and checkpoint',
  '11. Glossary of codes',
  'Appendix: individual findings and their history',
  'Manifest',
]

beforeAll(async () => {
  data = await seedReportDataset(t.db, ['R40001', 'R40002'])
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-report-structure-'))
  file = path.join(tmp, 'pack.pdf')
  await generateReport(
    t.db,
    { kind: 'audit', practiceIds: data.practices.map((p) => p.id), from: '2026-03-01', to: '2026-03-31', generatedBy: 'test:auditor' },
    file,
  )
  pages = pdfPages(file)
}, 300_000)
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true })
})

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** The first page (1-based), from the contents page on, whose text has `title` at the start of a line. */
function pageOfHeading(title: string, after: number): number {
  const i = pages.findIndex((p, n) => n + 1 >= after && new RegExp(`^\\s*${escape(title)}\\s*$`, 'm').test(p))
  return i + 1
}

describe('the evidence pack reads in order', () => {
  it('puts the executive summary on page 2 with the figures the database gives', async () => {
    const page2 = pages[1]!.replace(/\s+/g, ' ')
    expect(page2).toContain('Executive summary')
    const ids = data.practices.map((p) => p.id)
    const openHigh = await t
      .db('findings')
      .whereIn('practice_id', ids)
      .where({ status: 'open', severity: 'high' })
      .count({ n: '*' })
      .first()
    // the fixture's findings all concern March (none are detected yet unless refreshed): the page says what the table says
    expect(page2).toMatch(new RegExp(`Open high-severity findings ${Number(openHigh!.n)} of \\d+ open findings about the period`))
    const overdue = await t
      .db('override_events as e')
      .whereIn('e.practice_id', ids)
      .whereNot('e.kind', 'override_stopped')
      .whereNotExists(t.db('override_reviews as r').whereRaw('r.override_event_id = e.id'))
      .whereRaw(`e.occurred_at + interval '7 days' < now()`)
      .count({ n: '*' })
      .first()
    expect(page2).toContain(`Override reviews overdue ${Number(overdue!.n)};`)
    const failed = await t.db('job_runs').where({ status: 'failed' }).count({ n: '*' }).first()
    expect(Number(failed!.n)).toBeGreaterThan(0)
    expect(page2).toMatch(/Collection .*\d+ failed run\(s\)/)
    expect(page2).toMatch(/Disclosures in the period \d+/)
  })

  it('has a contents page whose page numbers are where each section starts, and bookmarks to the same pages', async () => {
    const contentsPage = pages.findIndex((p) => /^\s*Contents\s*$/m.test(p)) + 1
    expect(contentsPage).toBe(3)
    const contents = pages[contentsPage - 1]!
    const listed = new Map<string, number>()
    for (const title of SECTIONS) {
      const m = new RegExp(`^\\s*${escape(title)}\\s+(\\d+)\\s*$`, 'm').exec(contents)
      expect(m, title).not.toBeNull()
      listed.set(title, Number(m![1]))
    }
    for (const [title, page] of listed) {
      const at = pageOfHeading(title, contentsPage)
      expect(page, title).toBe(at)
    }
    // page numbers never go backwards
    const numbers = [...listed.values()]
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b))

    const { getDocument } = await import('pdfjs-dist/legacy/build/pdf.mjs')
    const pdf = await getDocument({ data: new Uint8Array(fs.readFileSync(file)), verbosity: 0 }).promise
    const outline = (await pdf.getOutline()) ?? []
    const flat: Array<{ title: string; dest: unknown }> = []
    for (const item of outline) {
      flat.push(item)
      for (const child of item.items ?? []) flat.push(child)
    }
    expect(flat.map((i) => i.title)).toEqual(SECTIONS)
    for (const item of flat) {
      const dest = (typeof item.dest === 'string' ? await pdf.getDestination(item.dest) : item.dest) as unknown[]
      const index = await pdf.getPageIndex(dest[0] as { num: number; gen: number })
      expect(index + 1, item.title).toBe(listed.get(item.title))
    }
    // "By legal basis" sits under "2. Sharing by purpose"
    expect(outline.find((i) => i.title === '2. Sharing by purpose')!.items.map((i) => i.title)).toEqual(['By legal basis'])
    await pdf.destroy()
  })

  it('states its method and limitations, and breaks the period down by legal basis and by practice as the database does', async () => {
    const text = pages.join('\n')
    const flat = text.replace(/\s+/g, ' ')
    expect(flat).toContain('Limitations. Only what the sources recorded can be reported')
    const ids = data.practices.map((p) => p.id)
    const inMarch = () =>
      t
        .db('disclosures')
        .whereIn('practice_id', ids)
        .where('occurred_at', '>=', '2026-03-01T00:00:00Z')
        .where('occurred_at', '<', '2026-04-01T00:00:00+01:00')
    const bases = (await inMarch().groupBy('legal_basis').select('legal_basis').count({ n: '*' })) as Array<{
      legal_basis: string | null
      n: string
    }>
    const start = text.lastIndexOf('By legal basis')
    const section = text.slice(start, text.indexOf('3. Sharing by recipient', start))
    for (const b of bases) {
      const label = b.legal_basis === null ? null : (await t.db('legal_bases').where({ code: b.legal_basis }).first()).label
      // the label printed (the code is in the glossary); "none recorded" as the labels say it
      expect(section, String(b.legal_basis)).toMatch(
        new RegExp(`${label ? escape(label) : '[Nn]one recorded|[Nn]ot recorded'}\\s+${b.n}\\b`),
      )
    }
    const byPractice = text.slice(text.lastIndexOf('By practice'), text.indexOf('2. Sharing by purpose', text.lastIndexOf('By practice')))
    for (const p of data.practices) {
      const n = await inMarch().where({ practice_id: p.id }).count({ n: '*' }).first()
      const overrides = await t
        .db('override_events')
        .where({ practice_id: p.id })
        .where('occurred_at', '>=', '2026-03-01T00:00:00Z')
        .where('occurred_at', '<', '2026-04-01T00:00:00+01:00')
        .count({ n: '*' })
        .first()
      expect(byPractice).toMatch(new RegExp(`${p.ods} .*?\\s+${Number(n!.n)}\\s+${Number(overrides!.n)}\\s+\\d+\\s+\\d+`))
    }
  })

  it('tells its progress: the stages in order, and the disclosure log row by row up to its total', async () => {
    const seen: Array<{ stage: string; done: number; total: number }> = []
    await generateReport(
      t.db,
      {
        kind: 'audit',
        practiceIds: data.practices.map((p) => p.id),
        from: '2026-03-01',
        to: '2026-03-31',
        generatedBy: 'test:auditor',
        onProgress: (p) => seen.push({ ...p }),
      },
      path.join(tmp, 'progress.pdf'),
    )
    const stages = seen.map((p) => p.stage).filter((s, i, all) => all[i - 1] !== s)
    expect(stages).toEqual(['Reading the figures', 'Disclosure log', 'Signing'])
    const log = seen.filter((p) => p.stage === 'Disclosure log')
    const rows = Number(
      (await t
        .db('disclosures')
        .whereIn(
          'practice_id',
          data.practices.map((p) => p.id),
        )
        .where('occurred_at', '>=', '2026-03-01T00:00:00Z')
        .where('occurred_at', '<', '2026-04-01T00:00:00+01:00')
        .count({ n: '*' })
        .first())!.n,
    )
    expect(log[0]).toEqual({ stage: 'Disclosure log', done: 0, total: rows })
    expect(log.at(-1)).toEqual({ stage: 'Disclosure log', done: rows, total: rows })
    expect(log.map((p) => p.done)).toEqual([...log.map((p) => p.done)].sort((a, b) => a - b))
  })
})
