import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensurePractice } from '../../../db/queries/practices.js'
import { addSource } from '../../../db/queries/sources.js'
import { generateReport } from '../../../reports/index.js'
import { useTestDatabase } from '../../support/db.js'
import { pdfPages, packBody } from './fixtures.js'

// Issue 15, defect 3: completeness of a quarter collected later, by each source's window (from the
// period's start to its first successful run after the period), not by runs started in the period.

const t = useTestDatabase()
let tmp: string
let practiceId: number
const Q3 = { from: '2026-07-01', to: '2026-09-30' }
const ids: Record<string, number> = {}

async function run(
  sourceId: number,
  status: string,
  started: string,
  minutes: number,
  counts: [number, number, number, number, number],
  trigger = 'schedule',
  error: string | null = null,
) {
  const finished = new Date(Date.parse(started) + minutes * 60_000).toISOString()
  const [row] = await t
    .db('job_runs')
    .insert({
      job_name: 'collect',
      source_id: sourceId,
      trigger,
      status,
      started_at: started,
      finished_at: finished,
      read_count: counts[0],
      inserted_count: counts[1],
      updated_count: counts[2],
      duplicate_count: counts[3],
      quarantined_count: counts[4],
      error,
    })
    .returning('id')
  return Number(row.id)
}

async function seed() {
  practiceId = (await ensurePractice(t.db, { odsCode: 'C30001', name: 'Complete Surgery' })).id
  const a = await addSource(t.db, {
    practiceId,
    kind: 'fhir',
    name: 'Alpha FHIR',
    baseUrl: 'http://127.0.0.1:1/a',
    expectedIntervalMinutes: 60,
  })
  const b = await addSource(t.db, {
    practiceId,
    kind: 'fhir',
    name: 'Beta FHIR',
    baseUrl: 'http://127.0.0.1:1/b',
    expectedIntervalMinutes: 60,
  })
  const c = await addSource(t.db, {
    practiceId,
    kind: 'fhir',
    name: 'Gamma FHIR',
    baseUrl: 'http://127.0.0.1:1/c',
    expectedIntervalMinutes: 60,
  })
  // Alpha: a success just before the quarter (30 June 23:00 BST is 22:00 UTC), a failure and a success in it, then the success that covers it.
  ids.before = await run(a.id, 'completed', '2026-06-30T21:00:00Z', 30, [100, 90, 5, 5, 0])
  ids.failed = await run(
    a.id,
    'failed',
    '2026-07-10T08:00:00Z',
    2,
    [40, 38, 0, 1, 1],
    'schedule',
    'HTTP 503 from the practice system after 5 attempts',
  )
  ids.july = await run(a.id, 'completed', '2026-07-20T08:00:00Z', 5, [500, 480, 10, 5, 5])
  ids.covering = await run(a.id, 'completed', '2026-10-02T08:00:00Z', 5, [700, 690, 5, 3, 2])
  ids.after = await run(a.id, 'completed', '2026-11-01T08:00:00Z', 5, [10, 10, 0, 0, 0])
  // Beta: added in November and backfilled: one run covers the whole quarter.
  ids.backfill = await run(b.id, 'completed', '2026-11-10T08:00:00Z', 20, [3000, 2990, 0, 0, 10], 'backfill')
  // Gamma: last success in September, nothing since: the quarter is not covered.
  ids.gamma = await run(c.id, 'completed', '2026-09-15T08:00:00Z', 5, [50, 50, 0, 0, 0])
  const q = (sourceId: number, key: string, reason: string, seen: string, status = 'pending') => ({
    source_id: sourceId,
    record_key: key,
    resource_type: 'AuditEvent',
    reason,
    payload: '{}',
    first_seen_at: seen,
    last_seen_at: seen,
    status,
  })
  await t.db('quarantine').insert([
    q(a.id, 'ae-1', 'AuditEvent has no purposeOfEvent code that maps to a known purpose (got v3-ActReason#XYZZY)', '2026-07-10T08:01:00Z'),
    q(
      a.id,
      'ae-2',
      'AuditEvent has no purposeOfEvent code that maps to a known purpose (got v3-ActReason#XYZZY)',
      '2026-07-20T08:01:00Z',
      'resolved',
    ),
    q(a.id, 'ae-3', 'AuditEvent is an R5 resource: this system reads FHIR R4', '2026-10-02T08:01:00Z'),
    q(a.id, 'ae-4', 'AuditEvent has no patient', '2026-11-01T08:01:00Z'), // after Alpha's window
    q(b.id, 'ae-5', 'AuditEvent has no patient', '2026-11-10T08:05:00Z'),
  ])
}

beforeAll(async () => {
  await seed()
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-audit-completeness-'))
})
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true })
})

describe('audit evidence pack: collection completeness of a quarter collected later', () => {
  it('states the data time, each source’s last success and coverage, the runs, failures, gaps and records set aside in its window', async () => {
    const file = path.join(tmp, 'q3.pdf')
    const r = await generateReport(t.db, { kind: 'audit', practiceIds: [practiceId], ...Q3, generatedBy: 'test:auditor' }, file)
    const text = pdfPages(file).join('\n')
    const body = packBody(text)
    const start = body.indexOf('9. Collection completeness')
    const part = body.slice(start, body.indexOf('Manifest', start))

    // The runs in the windows, straight from job_runs: Alpha's from the quarter's start to its covering run, Beta's backfill, Gamma's since.
    const inWindows = [ids.failed, ids.july, ids.covering, ids.backfill, ids.gamma] as number[]
    expect(r.rowCounts.job_runs).toBe(inWindows.length)
    const sums = await t
      .db('job_runs')
      .whereIn('id', inWindows)
      .sum({
        read: 'read_count',
        inserted: 'inserted_count',
        updated: 'updated_count',
        held: 'duplicate_count',
        aside: 'quarantined_count',
      })
      .first()
    expect(part).toMatch(new RegExp(`Runs in the windows\\s+${inWindows.length}\\b`))
    expect(part).toMatch(/Failed runs\s+1\b/)
    const flat = part.replace(/\s+/g, ' ')
    expect(flat).toContain(
      `Totals: ${Number(sums!.read).toLocaleString('en-GB')} read; ${Number(sums!.inserted).toLocaleString('en-GB')} new, ${Number(sums!.updated)} updated, ${Number(sums!.held)} already held, ${Number(sums!.aside)} set aside.`,
    )
    for (const id of inWindows) expect(part).toMatch(new RegExp(`^\\s*${id}\\s+collect`, 'm'))
    for (const id of [ids.before, ids.after]) expect(part).not.toMatch(new RegExp(`^\\s*${id}\\s+collect`, 'm'))
    expect(flat).toContain('HTTP 503 from the') // the error wraps in its column

    // Data as of, coverage per source.
    expect(part).toMatch(/Data as of\s+\d{4}-\d{2}-\d{2} \d{2}:\d{2}/)
    expect(flat).toMatch(/Sources not yet collected\s+1: Gamma FHIR/)
    expect(flat).toMatch(/Alpha FHIR C30001 2026-11-01 08:05 yes, run finished 2026-10-02 09:05/)
    expect(flat).toMatch(/Beta FHIR C30001 2026-11-10 08:20 yes, run finished 2026-11-10 08:20/)
    expect(flat).toContain('Practice system (FHIR)') // the source's kind, as a label, under its name
    expect(flat).toMatch(/Gamma FHIR C30001 2026-09-15 09:05 no: not collected since the period (\S+ ){0,4}ended/) // its kind's label may come between the wrapped lines

    // Gaps: Alpha before and after its July success, Gamma silent since September.
    expect(part).toMatch(/Gaps between successful\s+3\b/)
    expect(r.rowCounts.gaps).toBe(3)

    // Set aside in the windows, by reason: the same count as a direct query over quarantine.
    const aside = (
      await t.db.raw(
        `SELECT count(*)::int AS n FROM quarantine q JOIN sources s ON s.id = q.source_id
          WHERE (s.name = 'Alpha FHIR' AND q.first_seen_at <= timestamptz '2026-10-02T08:05:00Z' AND q.last_seen_at >= timestamptz '2026-06-30T23:00:00Z')
             OR (s.name = 'Beta FHIR' AND q.first_seen_at <= timestamptz '2026-11-10T08:20:00Z')`,
      )
    ).rows[0]
    expect(Number(aside!.n)).toBe(4)
    expect(part).toMatch(new RegExp(`Records set aside\\s+${aside!.n}\\b`))
    expect(r.rowCounts.quarantine).toBe(3) // Alpha's two reasons and Beta's one
    expect(flat).toMatch(/Alpha FHIR AuditEvent has no purposeOfEvent code (\S+ ){0,12}1 1 /) // the reason wraps after its counts' line
    expect(flat).not.toMatch(/Alpha FHIR AuditEvent has no patient/)
  })
})
