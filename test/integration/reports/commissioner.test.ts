import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateReport } from '../../../reports/index.js'
import { useTestDatabase } from '../../support/db.js'
import { keepFirstPagePng, OUTPUT_DIR, pdfPages, seedReportDataset, type ReportDataset } from './fixtures.js'

// The dataset (fixtures.ts): R30001 has direct_care 180 + 23 = 203, research 12, commissioning 4;
// R30002 has direct_care 57, research 3. NDOP opt-outs at the end of March: 10 and 2; lists 8,000.

const t = useTestDatabase()
let data: ReportDataset
let tmp: string

beforeAll(async () => {
  data = await seedReportDataset(t.db, ['R30001', 'R30002'])
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-report-comm-'))
})
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true })
})

const line = (text: string, label: string) => text.split('\n').find((l) => l.trimStart().startsWith(label)) ?? ''

describe('commissioner report', () => {
  it('prints an ICB roll-up with every count controlled, including a secondary suppression', async () => {
    const file = path.join(tmp, 'icb.pdf')
    const r = await generateReport(
      t.db,
      { kind: 'commissioner', practiceIds: data.practices.map((p) => p.id), from: '2026-03-01', to: '2026-03-31', generatedBy: 'test:pm' },
      file,
    )
    fs.copyFileSync(file, path.join(OUTPUT_DIR, 'commissioner.pdf'))
    keepFirstPagePng(file, 'commissioner-page1')
    keepFirstPagePng(file, 'commissioner-page2', 2)
    const pages = pdfPages(file)
    pages.forEach((p, i) => {
      expect(p).toContain('OFFICIAL-SENSITIVE')
      expect(p).toContain(`Page ${i + 1} of ${pages.length}`)
    })
    const text = pages.join('\n')
    expect(text).toContain('Disclosure control')

    // raw figures, from the database
    const raw = await t
      .db('disclosures')
      .whereIn(
        'practice_id',
        data.practices.map((p) => p.id),
      )
      .where('occurred_at', '<', '2026-04-01')
      .groupBy('purpose')
      .select('purpose')
      .count({ n: '*' })
    const n = Object.fromEntries((raw as Array<{ purpose: string; n: string }>).map((x) => [x.purpose, Number(x.n)]))
    expect(n).toEqual({ direct_care: 260, research: 15, commissioning: 4 })

    const purposeSection = text.slice(text.indexOf('1. Disclosures by purpose'), text.indexOf('2. Disclosures by recipient type'))
    expect(line(purposeSection, 'Direct care')).toMatch(/\s260$/) // 260 stays 260
    expect(line(purposeSection, 'Research')).toMatch(/\s15$/)
    expect(line(purposeSection, 'Commissioning')).toMatch(/\s\*$/) // 4 -> *
    // 279 -> 280 is published: with 260 and 15 (each +-2) it leaves the hidden 4 anywhere in
    // 1..7 (280+-2 - 262 - 17 = -1 .. 282 - 258 - 13 = 11), which the LP audit confirms
    expect(line(purposeSection, 'Total')).toMatch(/\s280$/)

    const monthSection = text.slice(text.indexOf('3. Disclosures by month'), text.indexOf('4. Opt-out rates'))
    // R30001 219 -> 220, R30002 60 -> 60, all 279 -> 280
    expect(line(monthSection, '2026-03')).toMatch(/2026-03\s+220\s+60\s+280$/)

    const optSection = text.slice(text.indexOf('4. Opt-out rates'))
    // 2 -> * (and its rate). 10 and the total 12 -> 10 would pin it to 1..4 (10+-2 - 10+-2), so one
    // more figure of that table is hidden: the smallest, R30001's 10; the total prints 10 / 16,000
    expect(line(optSection, 'R30001')).toMatch(/8,000\s+\*\s+\*/)
    expect(line(optSection, 'R30002')).toMatch(/8,000\s+\*\s+\*/)
    expect(line(optSection, 'All practices')).toMatch(/16,000\s+10\s+0\.06%/)

    // aggregates only: no pseudonym, no patient-level row, no NHS number
    expect(text).not.toMatch(/PSN-/)
    expect(text).not.toMatch(/\b\d{3}\s?\d{3}\s?\d{4}\b/)
    expect(r.rowCounts.by_purpose).toBe(4)
  })

  it('prints a single-practice report without a roll-up column', async () => {
    const file = path.join(tmp, 'one.pdf')
    await generateReport(
      t.db,
      { kind: 'commissioner', practiceIds: [data.practices[1]!.id], from: '2026-03-01', to: '2026-03-31', generatedBy: 'test:pm' },
      file,
    )
    const text = pdfPages(file).join('\n')
    expect(text).toContain('Single practice')
    const purposeSection = text.slice(text.indexOf('1. Disclosures by purpose'), text.indexOf('2. Disclosures by recipient type'))
    expect(line(purposeSection, 'Direct care')).toMatch(/\s55$/) // 57 -> 55
    expect(line(purposeSection, 'Research')).toMatch(/\s\*$/) // 3 -> *
    // 60 (58..62) - 55 (53..57) leaves the hidden 3 anywhere in 1..7: published
    expect(line(purposeSection, 'Total')).toMatch(/\s60$/)
  })

  it('prints "no data" outside collection, opt-outs at a day that has passed, the ICB, list-size date and NHS England figure', async () => {
    const [a, b] = data.practices
    await t
      .db('practices')
      .whereIn('id', [a!.id, b!.id])
      .update({ icb_code: 'QXX', icb_name: 'Test Coast ICB', list_size_as_of: '2026-01-15' })
    await t
      .db('practice_optout_counts')
      .insert({ practice_id: a!.id, kind: 'ndop', origin: 'ndop_publication', as_of: '2026-03-01', opt_outs: 11, list_size: 7990 })

    // The quarter January to March: nothing was collected before March (the first disclosure), so
    // January and February are "no data", not 0; the whole set's quarters and year are decided together.
    const file = path.join(tmp, 'q4.pdf')
    await generateReport(
      t.db,
      { kind: 'commissioner', practiceIds: [a!.id], from: '2026-01-01', to: '2026-03-31', generatedBy: 'test:pm' },
      file,
    )
    const text = pdfPages(file).join('\n')
    const monthSection = text.slice(text.indexOf('3. Disclosures by month'), text.indexOf('4. Opt-out rates'))
    expect(line(monthSection, '2026-01')).toMatch(/2026-01\s+no data$/)
    expect(line(monthSection, '2026-02')).toMatch(/2026-02\s+no data$/)
    expect(line(monthSection, '2026-03')).toMatch(/2026-03\s+220$/)
    expect(text).toMatch(/ICB\s+QXX Test Coast ICB/)
    expect(text).toMatch(/Opt-outs as at\s+2026-03-31/)
    expect(text).toMatch(/List size as at\s+2026-01-15/)
    expect(text).toMatch(/at\s+the\s+end\s+of\s+2026-03-31,\s+the\s+period's\s+last\s+day/)
    expect(line(text.slice(text.indexOf('published National Data Opt-out')), 'R30001')).toMatch(/11 of 7,990 \(as at 2026-03-01\)$/)

    // A period that has not ended: opt-outs at yesterday, said so; months after the last collection are "no data".
    const today = new Date(Date.now() + 3_600_000).toISOString().slice(0, 10) // London is at most an hour ahead
    const to = new Date(Date.now() + 40 * 86_400_000).toISOString().slice(0, 10)
    const file2 = path.join(tmp, 'open.pdf')
    await generateReport(t.db, { kind: 'commissioner', practiceIds: [a!.id, b!.id], from: '2026-03-01', to, generatedBy: 'test:pm' }, file2)
    const text2 = pdfPages(file2).join('\n')
    expect(text2).toMatch(/\(yesterday:\s+the\s+period\s+ends\s+/)
    const asAt = /Opt-outs as at\s+(\d{4}-\d{2}-\d{2})/.exec(text2)![1]!
    expect(asAt < today).toBe(true)
    expect(line(text2.slice(text2.indexOf('3. Disclosures by month')), to.slice(0, 7))).toMatch(/no data\s+no data\s+no data$/)
    expect(line(text2.slice(text2.indexOf('published National Data Opt-out')), 'R30002')).toMatch(/not recorded$/)
  }, 120_000)
})
