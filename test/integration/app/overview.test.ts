import type { AppLoadContext } from '@remix-run/node'
import { describe, expect, it } from 'vitest'
import { loader } from '../../../app/routes/_index.js'
import { addRunCounts, finishRun, startRun } from '../../../db/queries/job-runs.js'
import { ensureOrganisation } from '../../../db/queries/organisations.js'
import {
  countDisclosures,
  countDisclosuresByPurpose,
  countDisclosuresByRecipient,
  getDisclosureDayRange,
  listLastRunPerSource,
} from '../../../db/queries/overview.js'
import { ensurePractice } from '../../../db/queries/practices.js'
import { upsertDisclosures, type DisclosureRecord } from '../../../db/queries/records.js'
import { addSource } from '../../../db/queries/sources.js'
import { get, loadContext, respond, signedInUser, type TestUser } from '../../support/app.js'
import { useTestDatabase } from '../../support/db.js'
import { readPeriod } from '../../../app/lib/period.server.js'

const t = useTestDatabase()

const context = (): AppLoadContext => loadContext(t)
let guardian: TestUser

/** The overview's data, with the patient count awaited whether it came at once or streams in (deferred). */
async function loadOverview(query = '', user: TestUser = guardian) {
  const { data } = await loadOverviewAsSent(query, user)
  return { ...data, patients: await data.patients }
}

/** What the loader sent: JSON (every figure at once) or deferred data (the patient count still being counted). */
async function loadOverviewAsSent(query = '', user: TestUser = guardian) {
  const result = (await loader({ request: get(`/${query}`, user), params: {}, context: context() })) as unknown as
    Response | { data: unknown }
  if (result instanceof Response) return { deferred: false, data: await result.json() }
  return { deferred: true, data: result.data as Record<string, unknown> & { patients: Promise<number> } }
}

/** The loader's thrown Response (400, 404, redirect). */
async function loaderRejection(query: string, user: TestUser | undefined = guardian): Promise<Response> {
  const response = await respond(() => loader({ request: get(`/${query}`, user), params: {}, context: context() }))
  if (response.status === 200) throw new Error(`the loader accepted ${query}`)
  return response
}

/**
 * Eight disclosures: March (7) and April (1). The last one happens at 23:30 UTC on 31 March,
 * which is 00:30 on 1 April in England (BST), so it counts on 1 April.
 */
async function seed() {
  const practice = await ensurePractice(t.db, { odsCode: 'A81001', name: 'Riverside Surgery' })
  await t.db('practices').where({ id: practice.id }).update({ name: 'Riverside Surgery' })
  const fhir = await addSource(t.db, { practiceId: practice.id, kind: 'fhir', name: 'Riverside FHIR', baseUrl: 'http://127.0.0.1:1/fhir' })
  await addSource(t.db, { practiceId: null, kind: 'ndop_csv', name: 'NDOP publication' })
  const hospital = await ensureOrganisation(t.db, { odsCode: 'RX1', name: 'County Hospital', recipientType: 'nhs_trust' })
  const police = await ensureOrganisation(t.db, { name: 'County Police', recipientType: 'police_judicial' })
  const university = await ensureOrganisation(t.db, { odsCode: 'EE1', name: 'City University', recipientType: 'research_org' })
  let n = 0
  const disclosure = (occurredAt: string, recipientId: number, purpose: string): DisclosureRecord => ({
    practice_id: practice.id,
    source_id: fhir.id,
    source_record_id: `ae-${++n}`,
    source_version: '1',
    occurred_at: occurredAt,
    patient_pseudonym: `P-TEST-${n}`,
    recipient_id: recipientId,
    purpose,
    purpose_code: null,
    legal_basis: null,
    data_level: 'identifiable',
    data_description: null,
    disclosed_by_role: null,
    disclosed_by: null,
    run_id: null,
  })
  await upsertDisclosures(t.db, [
    disclosure('2026-03-01T09:00:00Z', hospital, 'direct_care'),
    disclosure('2026-03-01T10:00:00Z', hospital, 'direct_care'),
    disclosure('2026-03-01T11:00:00Z', hospital, 'direct_care'),
    disclosure('2026-03-02T10:00:00Z', university, 'research'),
    disclosure('2026-03-15T10:00:00Z', police, 'legal'),
    disclosure('2026-03-15T11:00:00Z', police, 'legal'),
    disclosure('2026-03-15T12:00:00Z', hospital, 'direct_care'),
    disclosure('2026-03-31T23:30:00Z', university, 'research'),
  ])
  const run = await startRun(t.db, { jobName: 'collect', sourceId: fhir.id, trigger: 'manual', lockedBy: 'test' })
  await addRunCounts(t.db, run.id, { read: 9, inserted: 8, updated: 0, duplicates: 0, quarantined: 1 })
  await finishRun(t.db, run.id, 'completed', null)
}

let A: number
const all = () => ({ practiceIds: [A] })

describe('overview', () => {
  it('sends a visitor who is not signed in to the sign-in page', async () => {
    const response = await loaderRejection('?from=2026-03-01', undefined)
    expect(response.status).toBe(302)
    expect(response.headers.get('Location')).toBe('/login?redirectTo=%2F%3Ffrom%3D2026-03-01')
  })

  it('shows the empty state before anything is collected', async () => {
    guardian = await signedInUser(context(), 'caldicott_guardian', ['A81001'])
    A = (await t.db('practices').where({ ods_code: 'A81001' }).first()).id
    expect(await getDisclosureDayRange(t.db, all())).toEqual({ first: null, last: null })
    const data = await loadOverview()
    expect(data).toMatchObject({ collected: { first: null, last: null }, total: 0, byPurpose: [], byRecipient: [], sources: [] })
  })

  it('counts disclosures in total, by purpose and by recipient from the daily roll-up', async () => {
    await seed()
    expect(await getDisclosureDayRange(t.db, all())).toEqual({ first: '2026-03-01', last: '2026-04-01' })
    expect(await countDisclosures(t.db, all())).toBe(8)
    expect(await countDisclosuresByPurpose(t.db, all())).toEqual([
      {
        purpose: 'direct_care',
        label: 'Direct care by the team and other providers caring for the patient',
        prohibited: false,
        disclosures: 4,
      },
      { purpose: 'legal', label: 'Court order or other legal duty', prohibited: false, disclosures: 2 },
      { purpose: 'research', label: 'Research', prohibited: false, disclosures: 2 },
    ])
    expect(await countDisclosuresByRecipient(t.db, all())).toEqual([
      expect.objectContaining({
        name: 'County Hospital',
        recipientType: 'nhs_trust',
        recipientTypeLabel: 'NHS trust / foundation trust',
        disclosures: 4,
      }),
      expect.objectContaining({ name: 'City University', recipientTypeLabel: 'Research organisation', disclosures: 2 }),
      expect.objectContaining({ name: 'County Police', recipientTypeLabel: 'Police and judicial', disclosures: 2 }),
    ])
  })

  it('limits every count to the period, with both ends inclusive and days in England', async () => {
    const march = { from: '2026-03-01', to: '2026-03-31' }
    expect(await countDisclosures(t.db, { ...all(), ...march })).toBe(7)
    expect(await countDisclosures(t.db, { ...all(), from: '2026-04-01' })).toBe(1)
    expect(await countDisclosures(t.db, { ...all(), to: '2026-03-01' })).toBe(3)
    expect(await countDisclosures(t.db, { ...all(), from: '2026-03-02', to: '2026-03-15' })).toBe(4)
    expect(await countDisclosures(t.db, { ...all(), from: '2027-01-01' })).toBe(0)
    expect((await countDisclosuresByPurpose(t.db, { ...all(), ...march })).map((p) => [p.purpose, p.disclosures])).toEqual([
      ['direct_care', 4],
      ['legal', 2],
      ['research', 1],
    ])
    expect((await countDisclosuresByRecipient(t.db, { ...all(), from: '2026-04-01' })).map((r) => [r.name, r.disclosures])).toEqual([
      ['City University', 1],
    ])
  })

  it('lists each source with its last run, and sources that never ran', async () => {
    expect(await listLastRunPerSource(t.db, all())).toEqual([
      expect.objectContaining({
        sourceName: 'Riverside FHIR',
        practiceOds: 'A81001',
        jobName: 'collect',
        status: 'completed',
        finishedAt: expect.any(Date),
        readCount: 9,
        insertedCount: 8,
        quarantinedCount: 1,
        error: null,
      }),
      expect.objectContaining({ sourceName: 'NDOP publication', practiceOds: null, runId: null, status: null, readCount: 0 }),
    ])
  })

  it('loader returns the aggregates for ?from=&to= and never a patient pseudonym', async () => {
    const data = await loadOverview('?from=2026-03-02&to=2026-03-15')
    expect(data.period).toEqual({ from: '2026-03-02', to: '2026-03-15' })
    expect(data.total).toBe(4)
    expect(data.byPurpose.map((p: { purpose: string; disclosures: number }) => [p.purpose, p.disclosures])).toEqual([
      ['legal', 2],
      ['direct_care', 1],
      ['research', 1],
    ])
    expect(data.sources).toHaveLength(2)
    expect(JSON.stringify(data)).not.toContain('P-TEST-')
    // An empty date field from the form means "no limit".
    expect((await loadOverview('?from=&to=')).total).toBe(8)
  })

  it.each([
    ['?from=01/03/2026', '"from" must be a date written YYYY-MM-DD'],
    ['?to=2026-02-30', '"to" is not a real calendar date'],
    ['?from=2026-04-01&to=2026-03-01', 'the start date ("from") is after the end date ("to")'],
  ])('keeps the page for %s: every date shown, and the error (said at the field) says what is wrong', async (query, message) => {
    expect((await loadOverview(query)).total).toBe(8)
    expect(readPeriod(new URL(`http://ledger.test/${query}`)).error?.message).toContain(message)
  })

  it('counts patients affected, overrides awaiting review and open findings', async () => {
    // The first time, the exact count is read from the raw rows: the page comes first and the
    // count streams in after it. Asked again with nothing changed, it comes from the cache, inline.
    const first = await loadOverviewAsSent('?from=2026-03-01&to=2026-03-31')
    expect(first.deferred).toBe(true)
    expect(first.data.total).toBe(7)
    expect(await first.data.patients).toBe(7)
    const data = await loadOverviewAsSent('?from=2026-03-01&to=2026-03-31').then((r) => ({ ...r.data, deferred: r.deferred }))
    expect(data.deferred).toBe(false)
    expect(data.patients).toBe(7)
    expect(data.overrides).toEqual({ pending: 0, overdue: 0 })
    expect(data.openFindings).toBe(0)
    expect(data.trendBucket).toBe('day')
    expect(data.trend.find((d: { period: string }) => d.period === '2026-03-01')!.disclosures).toBe(3)
  })

  it("never shows another practice's figures, however the address is typed", async () => {
    const other = await ensurePractice(t.db, { odsCode: 'B82002', name: 'Hillside Practice' })
    const source = await addSource(t.db, { practiceId: other.id, kind: 'fhir', name: 'Hillside FHIR', baseUrl: 'http://127.0.0.1:2/fhir' })
    const org = await ensureOrganisation(t.db, { odsCode: 'RX9', name: 'Far Hospital', recipientType: 'nhs_trust' })
    await upsertDisclosures(t.db, [
      {
        practice_id: other.id,
        source_id: source.id,
        source_record_id: 'b-1',
        source_version: '1',
        occurred_at: '2026-03-05T10:00:00Z',
        patient_pseudonym: 'P-OTHR-0001-0001',
        recipient_id: org,
        purpose: 'research',
        purpose_code: null,
        legal_basis: null,
        data_level: 'identifiable',
        data_description: null,
        disclosed_by_role: null,
        disclosed_by: null,
        run_id: null,
      },
    ])
    const mine = await loadOverview()
    expect(mine.total).toBe(8)
    expect(JSON.stringify(mine)).not.toContain('Far Hospital')
    expect(JSON.stringify(mine)).not.toContain('Hillside')
    expect((await loaderRejection('?practice=B82002')).status).toBe(404)
    // An ICB-level user holding both practices sees both, and can narrow to one.
    const icb = await signedInUser(context(), 'practice_manager', ['A81001', 'B82002'])
    expect((await loadOverview('', icb)).total).toBe(9)
    expect((await loadOverview('?practice=B82002', icb)).total).toBe(1)
    const admin = await signedInUser(context(), 'admin', [])
    expect((await loadOverview('', admin)).total).toBe(9)
  })
})
