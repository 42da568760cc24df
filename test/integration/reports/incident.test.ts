import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateReport, ReportError } from '../../../reports/index.js'
import { useTestDatabase } from '../../support/db.js'
import { keepFirstPagePng, OUTPUT_DIR, pdfPages, seedReportDataset, type ReportDataset } from './fixtures.js'

const t = useTestDatabase()
let data: ReportDataset
let tmp: string

beforeAll(async () => {
  data = await seedReportDataset(t.db, ['R40001', 'R40002'])
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-report-incident-'))
})
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true })
})

describe('incident review', () => {
  it("shows the patient's timeline within 30 days, organisations, legal basis, the review, and space for a conclusion", async () => {
    const file = path.join(tmp, 'incident.pdf')
    const r = await generateReport(
      t.db,
      {
        kind: 'incident',
        practiceIds: data.practices.map((p) => p.id),
        from: '2026-03-01',
        to: '2026-03-31',
        eventId: data.overrideId,
        generatedBy: 'test:guardian',
      },
      file,
    )
    fs.copyFileSync(file, path.join(OUTPUT_DIR, 'incident.pdf'))
    keepFirstPagePng(file, 'incident-page1')
    keepFirstPagePng(file, 'incident-page2', 2)
    const pages = pdfPages(file)
    pages.forEach((p, i) => {
      expect(p).toContain('OFFICIAL-SENSITIVE')
      expect(p).toContain(`Page ${i + 1} of ${pages.length}`)
    })
    const text = pages.join('\n')
    expect(text).toContain('2026-02-08 – 2026-04-09') // event on 10 March, ±30 days

    // every disclosure of that patient at that practice in the window, from the database
    const p0 = data.practices[0]!.id
    const disclosures = await t
      .db('disclosures')
      .where({ practice_id: p0, patient_pseudonym: data.overridePatient })
      .whereBetween('occurred_at', ['2026-02-08', '2026-04-10'])
      .pluck('id')
    expect(disclosures.length).toBeGreaterThan(0)
    expect(r.rowCounts.timeline).toBe(disclosures.length + 1 /* override */ + 1 /* choice */)
    for (const id of disclosures) expect(text).toMatch(new RegExp(`Disclosure\\s+${id}\\b`))
    expect(text).toMatch(new RegExp(`Override \\(this\\)\\s+${data.overrideId}\\s+Emergency access without`))
    expect(text).toContain('None recorded.')
    expect(text).toContain('National data opt-out:')
    expect(text).toContain('Royal Hospital NHS Trust')
    expect(text).toContain('Vital interests / emergency')
    expect(text).toContain(data.reviewerName)
    expect(text).toContain('Current review: Justified')
    expect(text).toContain("Caldicott guardian's conclusion")
    // the other practice's patients with the same pseudonym pattern never appear
    expect(text).not.toMatch(/R40002/)
    expect(text).not.toMatch(/\b\d{3}\s?\d{3}\s?\d{4}\b/)
  })

  it('reviews a finding about a disclosure: that disclosure, its patient timeline and the finding', async () => {
    const p0 = data.practices[0]!.id
    const d = await t.db('disclosures').where({ practice_id: p0, patient_pseudonym: data.overridePatient }).orderBy('id').first()
    const [finding] = await t
      .db('findings')
      .insert({
        rule_id: 'test_rule',
        severity: 'high',
        practice_id: p0,
        subject_key: `disclosure:${d.id}`,
        summary: 'Disclosure without an agreement in force',
        evidence: JSON.stringify([{ type: 'disclosure', id: Number(d.id) }]),
      })
      .returning('id')
    const file = path.join(tmp, 'finding.pdf')
    const r = await generateReport(
      t.db,
      { kind: 'incident', practiceIds: [p0], from: '2026-03-01', to: '2026-03-31', findingId: finding.id, generatedBy: 'test:guardian' },
      file,
    )
    const text = pdfPages(file).join('\n')
    expect(text).toContain('The finding')
    expect(text).toContain('Disclosure without an agreement in force')
    expect(text).toContain('The disclosure')
    expect(text).toMatch(new RegExp(`Disclosure \\(this\\)\\s+${d.id}\\b`))
    expect(text).toContain(`Finding ${finding.id} is open.`)
    expect(r.rowCounts.finding).toBe(1)
    expect(r.rowCounts.timeline).toBeGreaterThan(1)
  })

  it('refuses an event outside the requested practices', async () => {
    await expect(
      generateReport(
        t.db,
        {
          kind: 'incident',
          practiceIds: [data.practices[1]!.id],
          from: '2026-03-01',
          to: '2026-03-31',
          eventId: data.overrideId,
          generatedBy: 'x',
        },
        path.join(tmp, 'x.pdf'),
      ),
    ).rejects.toBeInstanceOf(ReportError)
  })
})
