import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { recordNotice } from '../../../db/queries/notices.js'
import { listPromiseEvidence } from '../../../db/queries/promises.js'
import { evaluateFindings } from '../../../core/findings/evaluate.js'
import { generateReport } from '../../../reports/index.js'
import { useTestDatabase } from '../../support/db.js'
import { OUTPUT_DIR, pdfPages, seedReportDataset, type ReportDataset, packBody } from './fixtures.js'
import { getRule } from '../../../core/findings/index.js'

// The audit evidence pack opens with the promises of each practice's notice: the same evidence
// as the /promises page (one query), and the same counts as the findings table.

const t = useTestDatabase()
let data: ReportDataset
let tmp: string
const ASK = 'Whenever there is such a purpose and your data is not anonymised we will always first contact you to ask for your permission.'

beforeAll(async () => {
  data = await seedReportDataset(t.db, ['R20001', 'R20002'])
  await recordNotice(t.db, data.practices[0]!.id, {
    title: 'Your information and how we share it',
    inForceFrom: '2026-01-01',
    purposes: null,
    recipientTypes: null,
    processors: null,
    source: 'test',
    recordedBy: 'test',
    promises: [
      { promise: 'never_marketing_insurance', words: 'We would never share it for marketing or insurance purposes.' },
      { promise: 'ask_before_identifiable_secondary', words: ASK },
      { promise: 'reports_never_identify', words: 'Reports that we publish will never identify a particular person.' },
    ],
  })
  await evaluateFindings(t.db)
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-report-promises-'))
})
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true })
})

describe('the promises section of the audit evidence pack', () => {
  it('comes first and matches the page and the findings', { timeout: 120_000 }, async () => {
    const scope = { practiceIds: data.practices.map((p) => p.id), from: '2026-03-01', to: '2026-03-31' }
    const file = path.join(tmp, 'audit.pdf')
    await generateReport(t.db, { kind: 'audit', ...scope, generatedBy: 'test:auditor' }, file)
    fs.copyFileSync(file, path.join(OUTPUT_DIR, 'audit-promises.pdf'))
    const layout = pdfPages(file)
    // The section is the first after the executive summary, contents and method, before the summary.
    const text = packBody(layout.join('\n'))
    expect(text.indexOf('Promises of the privacy notice')).toBeGreaterThan(0)
    expect(text.indexOf('Promises of the privacy notice')).toBeLessThan(text.indexOf('1. Summary'))
    const raw = packBody(execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' }).replace(/\s+/g, ' '))

    const evidence = await listPromiseEvidence(t.db, scope)
    const [withNotice, without] = evidence
    expect(without!.notice).toBeNull()
    expect(raw).toContain('Test Surgery R20002 (R20002) No privacy notice is recorded for this practice for the period')
    expect(raw).toContain('Privacy notice version 1, “Your information and how we share it”, in force from 2026-01-01.')
    expect(withNotice!.promises.map((p) => [p.code, p.verdict.text])).toEqual([
      ['never_marketing_insurance', 'kept'],
      ['ask_before_identifiable_secondary', 'broken 4 times'],
      ['reports_never_identify', 'kept'],
    ])
    // Each promise's row, in order: its words, the rules, and the counts and verdict the page shows.
    let at = raw.indexOf('Promises of the privacy notice')
    for (const pr of withNotice!.promises) {
      expect(raw).toContain(`“${pr.words}”`)
      for (const rule of pr.checkedBy) expect(raw).toContain(getRule(rule)!.title) // the rule's title, its id is in the glossary
      const figures = raw.indexOf(`${pr.applied} ${pr.open} ${pr.reviewed} ${pr.verdict.text}`, at)
      expect(figures, pr.code).toBeGreaterThan(at)
      at = figures
    }
    expect(at).toBeLessThan(raw.indexOf('1. Summary'))
    // The same counts as the findings themselves.
    const open = await t
      .db('findings')
      .where({ rule_id: 'secondary_without_consent', practice_id: data.practices[0]!.id, status: 'open' })
      .count({ n: '*' })
      .first()
    expect(Number(open!.n)).toBe(4)
    expect(withNotice!.promises[1]!.applied).toBe(4)
    expect(withNotice!.promises[0]!.applied).toBe(219)
  })
})
