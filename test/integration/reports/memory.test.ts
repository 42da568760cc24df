import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { refreshFindings } from '../../../core/findings/refresh.js'
import { ensureOrganisation } from '../../../db/queries/organisations.js'
import { ensurePractice } from '../../../db/queries/practices.js'
import { addSource } from '../../../db/queries/sources.js'
import { useTestDatabase } from '../../support/db.js'
import { pdfPageCount } from './fixtures.js'

// The disclosure log and the findings appendix are streamed (one cursor each, a batch per FETCH)
// into a PDF that is never buffered, so memory stays flat however long they are. REPORT_MEMORY_ROWS=100000 runs the full
// figure (see docs/decisions/009-reports.md for the measured numbers); the suite uses 20,000.

const N = Number(process.env.REPORT_MEMORY_ROWS ?? 20_000)
const LIMIT_MB = 400
const t = useTestDatabase()
let tmp: string
let practiceId: number

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-report-mem-'))
  const p = await ensurePractice(t.db, { odsCode: 'M10001', name: 'Big Surgery' })
  practiceId = p.id
  const s = await addSource(t.db, { practiceId: p.id, kind: 'fhir', name: 'M10001 FHIR', baseUrl: 'http://127.0.0.1:1/M10001/fhir' })
  const org = await ensureOrganisation(t.db, { odsCode: 'RYY', name: 'Big Hospital NHS Trust', recipientType: 'nhs_trust' })
  await t.db.raw(
    `INSERT INTO disclosures (practice_id, source_id, source_record_id, source_version, occurred_at, patient_pseudonym, recipient_id, purpose, legal_basis, data_level)
     SELECT ?, ?, 'mem-' || g, '1', timestamptz '2026-01-01 00:00Z' + (g * interval '1 minute') * (89 * 24 * 60) / ?, 'PSN-M' || (g % 5000), ?,
            CASE WHEN g % 4 = 0 THEN 'research' ELSE 'direct_care' END, 'implied_consent', 'identifiable'
       FROM generate_series(1, ?) g`,
    [p.id, s.id, N, org, N],
  )
  // An agreement covers the direct-care sharing, none the research (every fourth disclosure):
  // those are no_agreement findings, N/4 of them with their history in the pack's section 6
  // and appendix, read through a cursor a batch at a time (decision 036).
  const [a] = await t
    .db('data_sharing_agreements')
    .insert({ reference: 'DSA-MEM', recipient_id: org, data_level: 'identifiable', valid_from: '2025-01-01' })
    .returning('id')
  await t.db('agreement_purposes').insert({ agreement_id: a.id, purpose: 'direct_care' })
  await t.db('agreement_practices').insert({ agreement_id: a.id, practice_id: p.id })
  await refreshFindings({ db: t.db, config: { overrideReviewDays: 7 } })
}, 300_000)
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true })
})

describe('audit pack memory', () => {
  it(`streams ${N.toLocaleString('en-GB')} disclosure rows and ${(N / 4).toLocaleString('en-GB')} findings within ${LIMIT_MB} MB`, async () => {
    const out = path.join(tmp, 'big.pdf')
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'test/integration/reports/memory-child.ts', t.url, String(practiceId), '2026-01-01', '2026-03-31', out],
      {
        maxBuffer: 1024 * 1024,
      },
    )
    const m = JSON.parse(stdout.trim().split('\n').at(-1)!)
    console.log(
      `audit pack of ${m.rows} rows and ${m.findings} findings: ${m.pages} pages, ${(fs.statSync(out).size / 1e6).toFixed(1)} MB, ${m.ms} ms, peak RSS ${(m.peakRss / 1e6).toFixed(0)} MB, peak heap ${(m.peakHeap / 1e6).toFixed(0)} MB`,
    )
    expect(m.rows).toBe(N)
    expect(m.findings).toBe(N / 4)
    expect(pdfPageCount(out)).toBe(m.pages)
    expect(m.peakRss).toBeLessThan(LIMIT_MB * 1e6)
  }, 600_000)
})
