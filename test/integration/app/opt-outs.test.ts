import type { AppLoadContext } from '@remix-run/node'
import { beforeAll, describe, expect, it } from 'vitest'
import { loader } from '../../../app/routes/opt-outs._index.js'
import { loader as csvLoader } from '../../../app/routes/opt-outs[.]csv.js'
import { monthlyOptOuts } from '../../../db/queries/opt-outs.js'
import { recordPracticeListSizes, upsertOptOutCounts } from '../../../db/queries/optout-counts.js'
import { ensurePractice } from '../../../db/queries/practices.js'
import { upsertPatientChoices, type PatientChoiceRecord } from '../../../db/queries/records.js'
import { addSource } from '../../../db/queries/sources.js'
import { get, loadContext, respond, signedInUser, type TestUser } from '../../support/app.js'
import { useTestDatabase } from '../../support/db.js'
import { directOptOutCount } from '../../support/opt-outs.js'

const t = useTestDatabase()
const context = (): AppLoadContext => loadContext(t)
let manager: TestUser
let A: number
let A2: number
let B: number

/**
 * Riverside (A81001), list size 200, choices in its practice system:
 *   P1 NDOP opt-out Dec 2025 and Type 1 opt-out 1 Jan 2026 (both stay);
 *   P2 Type 1 opt-out 5 Jan, withdrawn by a "permit" on 20 Feb;
 *   P3 Type 1 opt-out 20 Jan, ended by an inactive record on 10 Mar;
 *   P4 Type 1 opt-out 1 Feb;
 *   P5 NDOP opt-out at 23:30 UTC on 31 Mar = 00:30 on 1 Apr in England: April, not March;
 *   P6 NDOP opt-out at 22:30 UTC on 31 Mar = 23:30 on 31 Mar in England: March;
 *   P7 record-sharing dissent (not an NDOP or Type 1 opt-out); P8 Type 1 after the period.
 * End of Jan: NDOP 1, Type 1 3. End of Feb: NDOP 1, Type 1 3. End of Mar: NDOP 2, Type 1 2.
 * Published NDOP: 31 Jan 12 of 240 (5%), 1 Mar 15 of 250 (6%).
 * Brookside (A81002): list size 0, one Type 1 opt-out, a publication with list size 0: no rates.
 * Hillside (B82002): another practice's figures that must never show.
 */
async function seed() {
  const a = await ensurePractice(t.db, { odsCode: 'A81001', name: 'Riverside Surgery' })
  const a2 = await ensurePractice(t.db, { odsCode: 'A81002', name: 'Brookside Surgery' })
  const b = await ensurePractice(t.db, { odsCode: 'B82002', name: 'Hillside Practice' })
  A = a.id
  A2 = a2.id
  B = b.id
  await recordPracticeListSizes(t.db, [
    { practiceId: A, listSize: 200, asOf: '2026-03-01' },
    { practiceId: A2, listSize: 0, asOf: '2026-03-01' },
    { practiceId: B, listSize: 1000, asOf: '2026-03-01' },
  ])
  const sourceA = await addSource(t.db, { practiceId: A, kind: 'fhir', name: 'Riverside FHIR', baseUrl: 'http://127.0.0.1:1/fhir' })
  const sourceA2 = await addSource(t.db, { practiceId: A2, kind: 'fhir', name: 'Brookside FHIR', baseUrl: 'http://127.0.0.1:2/fhir' })
  const sourceB = await addSource(t.db, { practiceId: B, kind: 'fhir', name: 'Hillside FHIR', baseUrl: 'http://127.0.0.1:3/fhir' })
  const ndopSource = await addSource(t.db, { practiceId: null, kind: 'ndop_csv', name: 'NDOP publication' })
  let n = 0
  const choice = (
    practiceId: number,
    sourceId: number,
    patient: string,
    kind: PatientChoiceRecord['kind'],
    effectiveAt: string,
    decision: 'deny' | 'permit' = 'deny',
    status: 'active' | 'inactive' = 'active',
  ): PatientChoiceRecord => ({
    practice_id: practiceId,
    source_id: sourceId,
    source_record_id: `consent-${++n}`,
    source_version: '1',
    patient_pseudonym: patient,
    kind,
    decision,
    effective_at: effectiveAt,
    code_system: null,
    code: null,
    status,
    run_id: null,
  })
  await upsertPatientChoices(t.db, [
    choice(A, sourceA.id, 'P1', 'ndop', '2025-12-10T10:00:00Z'),
    choice(A, sourceA.id, 'P1', 'type1', '2026-01-01T00:30:00Z'),
    choice(A, sourceA.id, 'P2', 'type1', '2026-01-05T10:00:00Z'),
    choice(A, sourceA.id, 'P2', 'type1', '2026-02-20T10:00:00Z', 'permit'),
    choice(A, sourceA.id, 'P3', 'type1', '2026-01-20T10:00:00Z'),
    choice(A, sourceA.id, 'P3', 'type1', '2026-03-10T10:00:00Z', 'deny', 'inactive'),
    choice(A, sourceA.id, 'P4', 'type1', '2026-02-01T10:00:00Z'),
    choice(A, sourceA.id, 'P5', 'ndop', '2026-03-31T23:30:00Z'),
    choice(A, sourceA.id, 'P6', 'ndop', '2026-03-31T22:30:00Z'),
    choice(A, sourceA.id, 'P7', 'record_sharing', '2026-01-10T10:00:00Z'),
    choice(A, sourceA.id, 'P8', 'type1', '2026-04-05T10:00:00Z'),
    choice(A2, sourceA2.id, 'Q1', 'type1', '2026-01-15T10:00:00Z'),
    choice(B, sourceB.id, 'R1', 'type1', '2026-01-15T10:00:00Z'),
    choice(B, sourceB.id, 'R2', 'ndop', '2026-01-15T10:00:00Z'),
  ])
  const published = (
    practiceId: number,
    asOf: string,
    optOuts: number,
    listSize: number,
    origin: 'ndop_publication' | 'practice_system' = 'ndop_publication',
  ) => ({
    practice_id: practiceId,
    kind: 'ndop' as const,
    origin,
    as_of: asOf,
    opt_outs: optOuts,
    list_size: listSize,
    source_id: ndopSource.id,
    run_id: null,
  })
  await upsertOptOutCounts(t.db, [
    published(A, '2025-10-01', 10, 200),
    published(A, '2026-01-31', 12, 240),
    published(A, '2026-03-01', 15, 250),
    // Not a publication: ignored by the published columns.
    published(A, '2026-02-15', 999, 200, 'practice_system'),
    published(A2, '2026-03-01', 3, 0),
    published(B, '2026-03-01', 77, 1000),
  ])
  manager = await signedInUser(context(), 'practice_manager', ['A81001', 'A81002'])
}

beforeAll(async () => {
  await seed()
})

async function page(query: string, user: TestUser = manager) {
  const response = await respond(() => loader({ request: get(`/opt-outs${query}`, user), params: {}, context: context() }))
  return response.status === 200 ? { status: 200, data: await response.json() } : { status: response.status, data: await response.text() }
}

const Q1 = '?from=2026-01-01&to=2026-03-31'

describe('opt-outs', () => {
  it('counts practice-system opt-outs at the end of each month: latest choice wins, withdrawals end them, days in England', async () => {
    const rows = await monthlyOptOuts(t.db, { practiceIds: [A], from: '2026-01-01', to: '2026-03-31' })
    expect(rows.map((r) => [r.month, r.asOf, r.ndop, r.type1])).toEqual([
      ['2026-01-01', '2026-01-31', 1, 3],
      ['2026-02-01', '2026-02-28', 1, 3],
      ['2026-03-01', '2026-03-31', 2, 2],
    ])
    // April: P5 (00:30 on 1 April in England) and P8 (5 April) join.
    const april = await monthlyOptOuts(t.db, { practiceIds: [A], from: '2026-04-01', to: '2026-04-30' })
    expect(april.map((r) => [r.ndop, r.type1])).toEqual([[3, 3]])
    // A period ending mid-month counts as of that day: P3's opt-out ended on 10 March.
    const midMarch = await monthlyOptOuts(t.db, { practiceIds: [A], from: '2026-03-01', to: '2026-03-09' })
    expect(midMarch.map((r) => [r.asOf, r.ndop, r.type1])).toEqual([['2026-03-09', 1, 3]])
  })

  it('gives exact rates per practice and month against list size, and none when the list size is 0', async () => {
    const { status, data } = await page(Q1)
    expect(status).toBe(200)
    expect(data.period).toEqual({ from: '2026-01-01', to: '2026-03-31' })
    const riverside = data.trend.filter((r: { odsCode: string }) => r.odsCode === 'A81001')
    expect(
      riverside.map(
        (r: { month: string; ndopRecorded: { rate: number }; type1: { rate: number }; ndopPublished: { rate: number } | null }) => [
          r.month,
          r.ndopRecorded.rate,
          r.type1.rate,
          r.ndopPublished?.rate ?? null,
        ],
      ),
    ).toEqual([
      ['2026-01-01', 0.5, 1.5, 5],
      ['2026-02-01', 0.5, 1.5, null],
      ['2026-03-01', 1, 1, 6],
    ])
    const brookside = data.trend.filter((r: { odsCode: string }) => r.odsCode === 'A81002')
    expect(brookside.map((r: { type1: unknown }) => r.type1)).toEqual([
      { count: 1, rate: null },
      { count: 1, rate: null },
      { count: 1, rate: null },
    ])
    expect(brookside[2].ndopPublished).toEqual({ asOf: '2026-03-01', optOuts: 3, listSize: 0, rate: null })
  })

  it('shows the latest figures per practice as of the end of the period', async () => {
    const { data } = await page(Q1)
    expect(data.latest).toEqual([
      {
        practiceId: A,
        odsCode: 'A81001',
        name: 'Riverside Surgery',
        listSize: 200,
        listSizeAsOf: '2026-03-01',
        ndopPublished: { asOf: '2026-03-01', optOuts: 15, listSize: 250, rate: 6 },
        ndopRecorded: { count: 2, rate: 1 },
        type1: { count: 2, rate: 1 },
      },
      {
        practiceId: A2,
        odsCode: 'A81002',
        name: 'Brookside Surgery',
        listSize: 0,
        listSizeAsOf: '2026-03-01',
        ndopPublished: { asOf: '2026-03-01', optOuts: 3, listSize: 0, rate: null },
        ndopRecorded: { count: 0, rate: null },
        type1: { count: 1, rate: null },
      },
    ])
    // Before the March publication, the latest one is January's.
    const feb = await page('?from=2026-01-01&to=2026-02-28')
    expect(feb.data.latest[0].ndopPublished).toEqual({ asOf: '2026-01-31', optOuts: 12, listSize: 240, rate: 5 })
  })

  it('draws a line per practice and measure, and one measure when asked', async () => {
    const { data } = await page(Q1)
    expect(data.chart.series.map((s: { key: string }) => s.key)).toEqual([
      'A81001_ndop_published',
      'A81001_ndop_recorded',
      'A81001_type1',
      'A81002_ndop_published',
      'A81002_ndop_recorded',
      'A81002_type1',
    ])
    expect(data.chart.points[0]).toEqual({
      month: '2026-01-01',
      A81001_ndop_published: 5,
      A81001_ndop_recorded: 0.5,
      A81001_type1: 1.5,
      A81002_ndop_published: null,
      A81002_ndop_recorded: null,
      A81002_type1: null,
    })
    const type1 = await page(`${Q1}&measure=type1`)
    expect(type1.data.chart.series.map((s: { key: string }) => s.key)).toEqual(['A81001_type1', 'A81002_type1'])
    const bad = await page(`${Q1}&measure=scr`)
    expect(bad.status).toBe(400)
    expect(bad.data).toContain('Choose which opt-outs to draw')
  })

  it('defaults to the last twelve months up to today, and refuses a period of more than ten years', async () => {
    const { data } = await page('')
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' }).format(new Date())
    expect(data.period.to).toBe(today)
    expect(data.chart.points).toHaveLength(12)
    expect(data.period.from.slice(8)).toBe('01')
    const long = await page('?from=2000-01-01&to=2026-03-31')
    expect(long.status).toBe(400)
    expect(long.data).toContain('more than 120 months')
  })

  it("never shows another practice's figures; ?practice= narrows within the viewer's practices", async () => {
    const { data } = await page(Q1)
    expect(data.latest.map((p: { odsCode: string }) => p.odsCode)).toEqual(['A81001', 'A81002'])
    expect(JSON.stringify(data)).not.toContain('B82002')
    expect(JSON.stringify(data)).not.toContain('Hillside')
    expect((await page(`${Q1}&practice=B82002`)).status).toBe(404)
    const one = await page(`${Q1}&practice=A81002`)
    expect(one.data.latest.map((p: { odsCode: string }) => p.odsCode)).toEqual(['A81002'])
    expect(one.data.trend.every((r: { odsCode: string }) => r.odsCode === 'A81002')).toBe(true)
    // Hillside's own user sees only Hillside's numbers.
    const other = await signedInUser(context(), 'auditor', ['B82002'])
    const theirs = await page(Q1, other)
    expect(theirs.data.latest).toEqual([
      expect.objectContaining({
        odsCode: 'B82002',
        ndopPublished: expect.objectContaining({ optOuts: 77, rate: 7.7 }),
        type1: { count: 1, rate: 0.1 },
      }),
    ])
  })

  it('exports the monthly figures as CSV with the same filters, and logs the export', async () => {
    const response = await respond(() => csvLoader({ request: get(`/opt-outs.csv${Q1}`, manager), params: {}, context: context() }))
    expect(response.status).toBe(200)
    expect(response.headers.get('Content-Type')).toBe('text/csv; charset=utf-8')
    expect(response.headers.get('Content-Disposition')).toMatch(/^attachment; filename="opt-outs_[A-Za-z0-9-]+_[a-z0-9_-]+\.csv"$/)
    const lines = (await response.text()).trim().split('\r\n')
    expect(lines).toEqual([
      'practice,practice_name,month,as_of,list_size,ndop_published_as_of,ndop_published_opt_outs,ndop_published_list_size,ndop_published_rate_percent,ndop_practice_system_opt_outs,ndop_practice_system_rate_percent,type1_opt_outs,type1_rate_percent',
      'A81001,Riverside Surgery,2026-01,2026-01-31,200,2026-01-31,12,240,5.00,1,0.50,3,1.50',
      'A81001,Riverside Surgery,2026-02,2026-02-28,200,,,,,1,0.50,3,1.50',
      'A81001,Riverside Surgery,2026-03,2026-03-31,200,2026-03-01,15,250,6.00,2,1.00,2,1.00',
      'A81002,Brookside Surgery,2026-01,2026-01-31,0,,,,,0,,1,',
      'A81002,Brookside Surgery,2026-02,2026-02-28,0,,,,,0,,1,',
      'A81002,Brookside Surgery,2026-03,2026-03-31,0,2026-03-01,3,0,,0,,1,',
    ])
    const narrowed = await respond(() =>
      csvLoader({ request: get(`/opt-outs.csv${Q1}&practice=A81002`, manager), params: {}, context: context() }),
    )
    expect((await narrowed.text()).trim().split('\r\n')).toHaveLength(4)
    expect(
      (await respond(() => csvLoader({ request: get(`/opt-outs.csv${Q1}&practice=B82002`, manager), params: {}, context: context() })))
        .status,
    ).toBe(404)
    const logged = await t.db('access_log').where({ user_id: manager.id, action: 'export', target: '/opt-outs.csv' }).orderBy('id')
    expect(logged).toHaveLength(2)
    expect(logged[0].detail).toEqual({ filters: { from: '2026-01-01', to: '2026-03-31' }, rows: 6 })
  })

  it('sends a visitor who is not signed in to the sign-in page', async () => {
    const response = await respond(() => loader({ request: get('/opt-outs'), params: {}, context: context() }))
    expect(response.status).toBe(302)
    expect(response.headers.get('Location')).toBe('/login?redirectTo=%2Fopt-outs')
  })
})

describe('opt-outs monthly query', () => {
  it('agrees with a plain DISTINCT ON "latest choice per patient and kind" count on random data, ties included', async () => {
    const practice = await ensurePractice(t.db, { odsCode: 'D84004', name: 'Random Practice' })
    const source = await addSource(t.db, { practiceId: practice.id, kind: 'fhir', name: 'Random FHIR', baseUrl: 'http://127.0.0.1:4/fhir' })
    let seed = 42
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!
    const instants = Array.from({ length: 40 }, (_, i) =>
      new Date(Date.UTC(2025, 9, 1) + i * 9 * 86_400_000 + Math.floor(random() * 86_400_000)).toISOString(),
    )
    const records: PatientChoiceRecord[] = []
    for (let p = 0; p < 80; p++) {
      for (let k = 0; k < 1 + Math.floor(random() * 4); k++) {
        records.push({
          practice_id: practice.id,
          source_id: source.id,
          source_record_id: `r-${p}-${k}`,
          source_version: '1',
          patient_pseudonym: `RND-${p}`,
          kind: pick(['ndop', 'type1', 'scr'] as const),
          decision: pick(['deny', 'deny', 'permit'] as const),
          effective_at: pick(instants),
          code_system: null,
          code: null,
          status: pick(['active', 'active', 'active', 'inactive'] as const),
          run_id: null,
        })
      }
    }
    await upsertPatientChoices(t.db, records)
    const fast = await monthlyOptOuts(t.db, { practiceIds: [practice.id], from: '2025-10-01', to: '2026-09-30' })
    expect(fast).toHaveLength(12)
    for (const month of fast) {
      const slow = await directOptOutCount(t.db, practice.id, month.asOf)
      expect([month.month, month.ndop, month.type1]).toEqual([month.month, slow.ndop ?? 0, slow.type1 ?? 0])
    }
    expect(fast.some((m) => m.ndop > 0) && fast.some((m) => m.type1 > 0)).toBe(true)
  })
})
