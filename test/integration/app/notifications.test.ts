import type { AppLoadContext } from '@remix-run/node'
import { beforeAll, describe, expect, it } from 'vitest'
import { loader as rootLoader } from '../../../app/root.js'
import { loader as pageLoader } from '../../../app/routes/notifications._index.js'
import { ensureOrganisation } from '../../../db/queries/organisations.js'
import { PER_KIND_LIMIT } from '../../../db/queries/notifications.js'
import { ensurePractice } from '../../../db/queries/practices.js'
import { upsertOverrideEvents, type OverrideEventRecord } from '../../../db/queries/records.js'
import { addSource } from '../../../db/queries/sources.js'
import { get, loadContext, respond, signedInUser, type TestUser } from '../../support/app.js'
import { useTestDatabase } from '../../support/db.js'

const t = useTestDatabase()
const context = (): AppLoadContext => loadContext(t)
const DAY = 86_400_000
const daysAgo = (n: number) => new Date(Date.now() - n * DAY)

type UserKey = 'guardianA' | 'guardianA2' | 'managerA' | 'auditorA' | 'adminAll' | 'guardianB'
const users = {} as Record<UserKey, TestUser>
const ids = {} as Record<string, number>
let manyOverdueB: OverrideEventRecord[] = []

/**
 * Practice A has one planted case of each kind, plus near misses that must not notify (an old
 * or medium or resolved finding, a review not yet due, a complete review, an "override
 * stopped" marker, an old failed run, a healthy source). Practice B has one of each kind too:
 * none of it may reach a user of practice A.
 */
async function seed() {
  const a = await ensurePractice(t.db, { odsCode: 'A81001', name: 'Riverside Surgery' })
  const b = await ensurePractice(t.db, { odsCode: 'B82002', name: 'Hillside Practice' })
  users.guardianA = await signedInUser(context(), 'caldicott_guardian', ['A81001'])
  users.guardianA2 = await signedInUser(context(), 'caldicott_guardian', ['A81001'])
  users.managerA = await signedInUser(context(), 'practice_manager', ['A81001'])
  users.auditorA = await signedInUser(context(), 'auditor', ['A81001'])
  users.adminAll = await signedInUser(context(), 'admin', [])
  users.guardianB = await signedInUser(context(), 'caldicott_guardian', ['B82002'])

  // Sources: A's FHIR source has never delivered in its hourly interval (silent); A's file
  // source delivered an hour ago (healthy). B's source is silent too.
  const sourceA = await addSource(t.db, {
    practiceId: a.id,
    kind: 'fhir',
    name: 'Riverside FHIR',
    baseUrl: 'http://127.0.0.1:1/fhir',
    expectedIntervalMinutes: 60,
  })
  await t
    .db('sources')
    .where({ id: sourceA.id })
    .update({ created_at: daysAgo(2) })
  const healthy = await addSource(t.db, {
    practiceId: a.id,
    kind: 'fhir',
    name: 'Riverside second FHIR',
    baseUrl: 'http://127.0.0.1:4/fhir',
  })
  await t.db('job_runs').insert({
    job_name: 'collect',
    source_id: healthy.id,
    trigger: 'schedule',
    status: 'completed',
    started_at: new Date(Date.now() - 3_600_000),
    finished_at: new Date(Date.now() - 3_500_000),
  })
  const sourceB = await addSource(t.db, {
    practiceId: b.id,
    kind: 'fhir',
    name: 'Hillside FHIR',
    baseUrl: 'http://127.0.0.1:2/fhir',
    expectedIntervalMinutes: 60,
  })
  await t
    .db('sources')
    .where({ id: sourceB.id })
    .update({ created_at: daysAgo(2) })
  ids.sourceA = sourceA.id

  const run = async (sourceId: number, days: number) =>
    Number(
      (
        await t
          .db('job_runs')
          .insert({
            job_name: 'collect',
            source_id: sourceId,
            trigger: 'schedule',
            status: 'failed',
            started_at: daysAgo(days),
            finished_at: daysAgo(days),
            error: 'connection refused',
          })
          .returning('id')
      )[0].id,
    )
  ids.failedA = await run(sourceA.id, 1)
  await run(sourceA.id, 10) // older than a week
  ids.failedB = await run(sourceB.id, 1)

  const finding = async (practiceId: number, key: string, severity: string, status: string, days: number) =>
    Number(
      (
        await t
          .db('findings')
          .insert({
            rule_id: 'optout_disclosure',
            severity,
            status,
            practice_id: practiceId,
            subject_key: key,
            summary: `Disclosure of P-SECRET-${key} despite an opt-out`,
            opened_at: daysAgo(days),
          })
          .returning('id')
      )[0].id,
    )
  ids.findingA = await finding(a.id, 'a-new', 'high', 'open', 1)
  await finding(a.id, 'a-old', 'high', 'open', 10)
  await finding(a.id, 'a-medium', 'medium', 'open', 1)
  await finding(a.id, 'a-resolved', 'high', 'resolved', 1)
  ids.findingB = await finding(b.id, 'b-new', 'high', 'open', 1)

  const hospital = await ensureOrganisation(t.db, { odsCode: 'RX1', name: 'County Hospital', recipientType: 'nhs_trust' })
  const event = (
    practiceId: number,
    sourceId: number,
    id: string,
    days: number,
    kind: OverrideEventRecord['kind'] = 'break_glass',
  ): OverrideEventRecord => ({
    practice_id: practiceId,
    source_id: sourceId,
    source_record_id: id,
    source_version: '1',
    occurred_at: daysAgo(days).toISOString(),
    patient_pseudonym: `P-SECRET-${id}`,
    kind,
    reason_code: 'OVRER',
    purpose_code: 'ETREAT',
    legal_basis: 'vital_interests',
    actor_role: 'GP',
    actor: 'dr.jones',
    recipient_id: hospital,
    description: 'Opened the shared record in A&E',
    run_id: null,
  })
  await upsertOverrideEvents(t.db, [
    event(a.id, sourceA.id, 'a-overdue', 10), // due 3 days ago
    event(a.id, sourceA.id, 'a-soon', 6), // due in a day
    event(a.id, sourceA.id, 'a-later', 2), // due in 5 days: not yet
    event(a.id, sourceA.id, 'a-cs-overdue', 9), // reviewed, awaiting guardianA2's countersignature, past due
    event(a.id, sourceA.id, 'a-cs-manager', 3), // reviewed, awaiting managerA's countersignature, not yet due
    event(a.id, sourceA.id, 'a-complete', 20), // reviewed and countersigned
    event(a.id, sourceA.id, 'a-stopped', 10, 'override_stopped'),
    event(b.id, sourceB.id, 'b-overdue', 10),
  ])
  // Practice B's sixty more overdue events are for the last test (the cap per kind).
  manyOverdueB = Array.from({ length: 60 }, (_, i) => event(b.id, sourceB.id, `b-overdue-${i}`, 30 + i))
  for (const key of ['a-overdue', 'a-soon', 'a-later', 'a-cs-overdue', 'a-cs-manager', 'a-complete', 'a-stopped', 'b-overdue']) {
    ids[key] = Number((await t.db('override_events').where({ source_record_id: key }).first('id')).id)
  }
  const reviewed = async (eventId: number, secondSignerId: number) =>
    Number(
      (
        await t
          .db('override_reviews')
          .insert({
            override_event_id: eventId,
            reviewer_id: users.guardianA.id,
            verdict: 'justified',
            reasons: 'Proportionate.',
            second_signer_id: secondSignerId,
            signed_at: daysAgo(1),
          })
          .returning('id')
      )[0].id,
    )
  await reviewed(ids['a-cs-overdue']!, users.guardianA2.id)
  await reviewed(ids['a-cs-manager']!, users.managerA.id)
  const complete = await reviewed(ids['a-complete']!, users.managerA.id)
  await t.db('override_countersignatures').insert({ review_id: complete, signer_id: users.managerA.id, decision: 'countersigned' })
}

beforeAll(async () => {
  await seed()
})

interface Item {
  kind: string
  urgency: number
  practiceOds: string | null
  sentence: string
  link: string
  linkLabel: string
}

async function page(user: TestUser, query = ''): Promise<{ status: number; items: Item[] }> {
  const response = await respond(() => pageLoader({ request: get(`/notifications${query}`, user), params: {}, context: context() }))
  return response.status === 200 ? { status: 200, items: (await response.json()).items } : { status: response.status, items: [] }
}

async function headerCount(user: TestUser): Promise<number | null> {
  const response = await respond(() => rootLoader({ request: get('/', user), params: {}, context: context() }))
  return (await response.json()).notificationCount
}

const links = (items: Item[]) => items.map((i) => `${i.kind} ${i.link}`)

describe('notifications', () => {
  it('tell a Caldicott guardian all four kinds, most urgent first, and nothing of another practice', async () => {
    const { status, items } = await page(users.guardianA)
    expect(status).toBe(200)
    expect(links(items)).toEqual([
      `override_due /overrides/${ids['a-overdue']}`, // due 3 days ago
      `override_due /overrides/${ids['a-cs-overdue']}`, // due 2 days ago, awaiting another's countersignature
      `high_finding /findings/${ids.findingA}`,
      `override_due /overrides/${ids['a-soon']}`,
      `failed_run /jobs`,
      `silent_source /jobs`,
    ])
    expect(items.every((i) => i.practiceOds === 'A81001')).toBe(true)
    expect(items[0]!.sentence).toBe('An override event at Riverside Surgery (A81001) awaits review (7-day review, overdue by 3 days).')
    expect(items[1]!.sentence).toContain('awaits the countersignature of Test caldicott_guardian')
    expect(items[2]!.sentence).toBe(
      'A new high-severity finding is open at Riverside Surgery (A81001): Opted-out patient’s data disclosed.',
    )
    expect(items[3]!.sentence).toContain('due within a day')
    expect(items[4]!.sentence).toBe('A collection run of "Riverside FHIR" (Riverside Surgery (A81001)) failed.')
    expect(items[4]!.linkLabel).toBe(`run ${ids.failedA} on the jobs page`)
    expect(items[5]!.sentence).toBe('The source "Riverside FHIR" of Riverside Surgery (A81001) has been silent past its expected interval.')
    expect(await headerCount(users.guardianA)).toBe(6)
  })

  it('never puts a patient pseudonym (or a finding summary that carries one) in a sentence', async () => {
    for (const user of Object.values(users)) {
      for (const item of (await page(user)).items) expect(item.sentence).not.toMatch(/P-SECRET/)
    }
  })

  it('tell the named second signer about the countersignature awaiting them, instead of as a due review', async () => {
    const { items } = await page(users.guardianA2)
    expect(links(items)).toContain(`countersignature /overrides/${ids['a-cs-overdue']}`)
    expect(links(items)).not.toContain(`override_due /overrides/${ids['a-cs-overdue']}`)
    expect(items.find((i) => i.kind === 'countersignature')!.sentence).toBe(
      'A review of an override event at Riverside Surgery (A81001) awaits your countersignature.',
    )
    expect(await headerCount(users.guardianA2)).toBe(6)
  })

  it('tell a practice manager of high findings, countersignatures awaiting them, silent sources and failed runs', async () => {
    const { items } = await page(users.managerA)
    expect(links(items).sort()).toEqual(
      [
        `high_finding /findings/${ids.findingA}`,
        `countersignature /overrides/${ids['a-cs-manager']}`,
        'failed_run /jobs',
        'silent_source /jobs',
      ].sort(),
    )
    expect(await headerCount(users.managerA)).toBe(4)
  })

  it('tell an auditor of new high findings only', async () => {
    expect(links((await page(users.auditorA)).items)).toEqual([`high_finding /findings/${ids.findingA}`])
    expect(await headerCount(users.auditorA)).toBe(1)
  })

  it('tell an administrator of silent sources and failed runs at every practice, not findings or reviews', async () => {
    const { items } = await page(users.adminAll)
    expect(items.map((i) => `${i.kind} ${i.practiceOds}`).sort()).toEqual([
      'failed_run A81001',
      'failed_run B82002',
      'silent_source A81001',
      'silent_source B82002',
    ])
    expect(await headerCount(users.adminAll)).toBe(4)
  })

  it("keep each practice's notifications to its own users", async () => {
    const { items } = await page(users.guardianB)
    expect(links(items)).toEqual([
      `override_due /overrides/${ids['b-overdue']}`,
      `high_finding /findings/${ids.findingB}`,
      'failed_run /jobs',
      'silent_source /jobs',
    ])
    expect(items.every((i) => i.practiceOds === 'B82002')).toBe(true)
    // Asking for another practice through the filter is a 404, as everywhere else.
    expect((await page(users.guardianA, '?practice=B82002')).status).toBe(404)
  })

  it('disappear once acted on: a countersignature completes the review', async () => {
    const review = await t.db('override_reviews').where({ override_event_id: ids['a-cs-manager'] }).first('id')
    await t.db('override_countersignatures').insert({ review_id: review.id, signer_id: users.managerA.id, decision: 'countersigned' })
    expect(links((await page(users.managerA)).items)).not.toContain(`countersignature /overrides/${ids['a-cs-manager']}`)
    expect(await headerCount(users.managerA)).toBe(3)
  })

  it('count at most fifty of a kind, the same fifty the page lists', async () => {
    await upsertOverrideEvents(t.db, manyOverdueB)
    const { items } = await page(users.guardianB)
    expect(items.filter((i) => i.kind === 'override_due')).toHaveLength(PER_KIND_LIMIT)
    // The oldest first: the sixty new events are all older than b-overdue, which falls off the list.
    expect(links(items)).not.toContain(`override_due /overrides/${ids['b-overdue']}`)
    expect(await headerCount(users.guardianB)).toBe(items.length)
    expect(items.length).toBe(PER_KIND_LIMIT + 3)
  })

  it('show no count to someone not signed in', async () => {
    const response = await respond(() => rootLoader({ request: get('/'), params: {}, context: context() }))
    expect((await response.json()).notificationCount).toBeNull()
  })
})
