import type { AppLoadContext } from '@remix-run/node'
import { beforeAll, describe, expect, it } from 'vitest'
import * as eventRoute from '../../../app/routes/overrides.$id.js'
import { loader as queueLoader } from '../../../app/routes/overrides._index.js'
import { loader as csvLoader } from '../../../app/routes/overrides[.]csv.js'
import { ensureOrganisation } from '../../../db/queries/organisations.js'
import { ensurePractice } from '../../../db/queries/practices.js'
import { upsertOverrideEvents, type OverrideEventRecord } from '../../../db/queries/records.js'
import { addSource } from '../../../db/queries/sources.js'
import { countOverridesAwaitingReview } from '../../../db/queries/overview.js'
import { get, loadContext, post, respond, signedInUser, type TestUser } from '../../support/app.js'
import { useTestDatabase } from '../../support/db.js'

const t = useTestDatabase()
const context = (): AppLoadContext => loadContext(t)
const DAY = 86_400_000
const daysAgo = (n: number) => new Date(Date.now() - n * DAY).toISOString()

const users = {} as Record<
  'guardianA' | 'guardianA2' | 'managerA' | 'auditorA' | 'adminAll' | 'guardianB' | 'managerB' | 'managerC',
  TestUser
>
const ids = {} as Record<'overdue' | 'recent' | 'reviewed' | 'stopped' | 'other', number>

async function eventIdOf(sourceRecordId: string): Promise<number> {
  return Number((await t.db('override_events').where({ source_record_id: sourceRecordId }).first('id')).id)
}

/**
 * Practice A (A81001): an event 10 days old (overdue with the 7-day default), one 2 days old
 * (due in 5 days), one 20 days old that already has a review, and an "override stopped"
 * marker. Practice B: one event. Practice C: 27 events, for paging.
 */
async function seed() {
  const a = await ensurePractice(t.db, { odsCode: 'A81001', name: 'Riverside Surgery' })
  const b = await ensurePractice(t.db, { odsCode: 'B82002', name: 'Hillside Practice' })
  const c = await ensurePractice(t.db, { odsCode: 'C83003', name: 'Lakeside Health Centre' })
  const sourceA = await addSource(t.db, { practiceId: a.id, kind: 'fhir', name: 'Riverside FHIR', baseUrl: 'http://127.0.0.1:1/fhir' })
  const sourceB = await addSource(t.db, { practiceId: b.id, kind: 'fhir', name: 'Hillside FHIR', baseUrl: 'http://127.0.0.1:2/fhir' })
  const sourceC = await addSource(t.db, { practiceId: c.id, kind: 'fhir', name: 'Lakeside FHIR', baseUrl: 'http://127.0.0.1:3/fhir' })
  const hospital = await ensureOrganisation(t.db, { odsCode: 'RX1', name: 'County Hospital', recipientType: 'nhs_trust' })
  const event = (
    practiceId: number,
    sourceId: number,
    id: string,
    occurredAt: string,
    extra: Partial<OverrideEventRecord> = {},
  ): OverrideEventRecord => ({
    practice_id: practiceId,
    source_id: sourceId,
    source_record_id: id,
    source_version: '1',
    occurred_at: occurredAt,
    patient_pseudonym: `P-OVR-${id}`,
    kind: 'break_glass',
    reason_code: 'OVRER',
    purpose_code: 'ETREAT',
    legal_basis: 'vital_interests',
    actor_role: 'GP',
    actor: 'dr.jones',
    recipient_id: hospital,
    description: 'Opened the shared record of an unconscious patient in A&E',
    run_id: null,
    ...extra,
  })
  await upsertOverrideEvents(t.db, [
    event(a.id, sourceA.id, 'a-overdue', daysAgo(10)),
    event(a.id, sourceA.id, 'a-recent', daysAgo(2), {
      kind: 'consent_override',
      reason_code: 'OVRPS',
      purpose_code: 'HLEGAL',
      legal_basis: 'legal_obligation',
      actor_role: 'Practice manager',
      actor: 'pm.smith',
      description: 'Records sent to police under a court order',
    }),
    event(a.id, sourceA.id, 'a-reviewed', daysAgo(20), { reason_code: 'OVRTPS' }),
    event(a.id, sourceA.id, 'a-stopped', daysAgo(9), {
      kind: 'override_stopped',
      reason_code: null,
      description: null,
      recipient_id: null,
    }),
    event(b.id, sourceB.id, 'b-event', daysAgo(3), { patient_pseudonym: 'P-OVR-OTHER-PRACTICE' }),
    ...Array.from({ length: 27 }, (_, i) => event(c.id, sourceC.id, `c-${i}`, daysAgo(30 - i))),
  ])
  for (const key of ['overdue', 'recent', 'reviewed', 'stopped'] as const) ids[key] = await eventIdOf(`a-${key}`)
  ids.other = await eventIdOf('b-event')

  users.guardianA = await signedInUser(context(), 'caldicott_guardian', ['A81001'])
  users.guardianA2 = await signedInUser(context(), 'caldicott_guardian', ['A81001'])
  users.managerA = await signedInUser(context(), 'practice_manager', ['A81001'])
  users.auditorA = await signedInUser(context(), 'auditor', ['A81001'])
  users.adminAll = await signedInUser(context(), 'admin', [])
  users.guardianB = await signedInUser(context(), 'caldicott_guardian', ['B82002'])
  users.managerB = await signedInUser(context(), 'practice_manager', ['B82002'])
  users.managerC = await signedInUser(context(), 'practice_manager', ['C83003'])
  await t.db('override_reviews').insert({
    override_event_id: ids.reviewed,
    reviewer_id: users.guardianA.id,
    verdict: 'justified',
    reasons: 'Third party at risk; proportionate.',
    signed_at: daysAgo(15),
  })
}

beforeAll(async () => {
  // The database exists only once the file's beforeAll (useTestDatabase) has run.
  await seed()
})

async function queue(query = '', user: TestUser = users.guardianA) {
  const response = await respond(() => queueLoader({ request: get(`/overrides${query}`, user), params: {}, context: context() }))
  return response.status === 200 ? { status: 200, data: await response.json() } : { status: response.status, data: await response.text() }
}

async function eventPage(id: number, user: TestUser = users.guardianA, query = '') {
  const response = await respond(() =>
    eventRoute.loader({ request: get(`/overrides/${id}${query}`, user), params: { id: String(id) }, context: context() }),
  )
  return response.status === 200 ? { status: 200, data: await response.json() } : { status: response.status, data: await response.text() }
}

function review(
  id: number | string,
  user: TestUser | undefined,
  fields: Record<string, string>,
  opts: { csrf?: string | null; origin?: string } = {},
) {
  return respond(() =>
    eventRoute.action({ request: post(`/overrides/${id}`, user, fields, opts), params: { id: String(id) }, context: context() }),
  )
}

const reviewsOf = (eventId: number) => t.db('override_reviews').where({ override_event_id: eventId }).orderBy('id')
const firstReview = {
  verdict: 'justified',
  reasons: 'Unconscious patient; the shared record was needed for safe treatment.',
  secondSigner: '',
  escalate: '',
  supersedes: '',
}

describe('override review queue', () => {
  it('lists events awaiting review first, oldest due date first, then the rest by due date', async () => {
    const { status, data } = await queue()
    expect(status).toBe(200)
    expect(data.events.map((e: { id: number }) => e.id)).toEqual([ids.overdue, ids.recent, ids.reviewed, ids.stopped])
    expect(data.events.map((e: { status: string }) => e.status)).toEqual(['pending', 'pending', 'reviewed', 'not_required'])
    expect(data.counts).toEqual({ pending: 2, overdue: 1 })
    expect(data.total).toBe(4)
    expect(data.reviewDays).toBe(7)
  })

  it('computes the due date (event + 7 days) and marks the overdue event in words', async () => {
    const { data } = await queue()
    const [overdue, recent] = data.events
    expect(new Date(overdue.dueAt).getTime() - new Date(overdue.occurredAt).getTime()).toBe(7 * DAY)
    expect(overdue).toMatchObject({ overdue: true, overdueDays: 3, dueInDays: null })
    expect(recent).toMatchObject({ overdue: false, overdueDays: 0, dueInDays: 5 })
    // A reviewed event is never overdue, however old.
    expect(data.events[2]).toMatchObject({ overdue: false, dueInDays: null })
  })

  it("shows each event's facts with the codes spelled out, and the latest verdict", async () => {
    const { data } = await queue()
    const [overdue, recent, reviewed, stopped] = data.events
    expect(overdue).toMatchObject({
      practiceOds: 'A81001',
      practiceName: 'Riverside Surgery',
      patientPseudonym: 'P-OVR-a-overdue',
      kind: 'break_glass',
      kindLabel: 'Emergency access without consent ("break glass")',
      reason: 'Emergency treatment (OVRER)',
      purpose: 'Urgent or emergency care (ETREAT)',
      legalBasis: 'Vital interests / emergency',
      actorRole: 'GP',
      actor: 'dr.jones',
      recipient: 'County Hospital (RX1)',
      description: 'Opened the shared record of an unconscious patient in A&E',
      latest: null,
      statusLabel: 'Awaiting review',
    })
    expect(recent).toMatchObject({
      reason: 'Public safety (OVRPS)',
      purpose: 'Court order or other legal duty (HLEGAL)',
      legalBasis: 'Legal obligation / court order',
      kindLabel: expect.stringContaining('consent override'),
    })
    expect(reviewed).toMatchObject({
      reason: 'Third-party safety (OVRTPS)',
      reviewCount: 1,
      latest: { verdict: 'justified', verdictLabel: 'Justified', escalated: false, reviewerName: 'Test caldicott_guardian' },
    })
    expect(stopped).toMatchObject({ kindLabel: 'Emergency access ended', reason: 'Not given', recipient: null })
  })

  it('filters by status, overdue only and period, and refuses an unknown status with 400', async () => {
    const ofQuery = async (q: string) => (await queue(q)).data.events.map((e: { id: number }) => e.id)
    expect(await ofQuery('?status=pending')).toEqual([ids.overdue, ids.recent])
    expect(await ofQuery('?status=reviewed')).toEqual([ids.reviewed])
    expect(await ofQuery('?overdue=1')).toEqual([ids.overdue])
    expect(await ofQuery('?status=all&overdue=1')).toEqual([ids.overdue])
    const fiveDaysAgo = daysAgo(5).slice(0, 10)
    expect(await ofQuery(`?from=${fiveDaysAgo}`)).toEqual([ids.recent])
    const bad = await queue('?status=closed')
    expect(bad.status).toBe(400)
    expect(bad.data).toContain('Choose a status from the list')
    expect((await queue('?page=0')).status).toBe(400)
  })

  it('pages 25 events at a time', async () => {
    const first = await queue('', users.managerC)
    expect(first.data.total).toBe(27)
    expect(first.data.events).toHaveLength(25)
    const second = await queue('?page=2', users.managerC)
    expect(second.data.events).toHaveLength(2)
    const all = [...first.data.events, ...second.data.events].map((e: { patientPseudonym: string }) => e.patientPseudonym)
    expect(new Set(all).size).toBe(27)
    // Oldest due first: c-0 is 30 days old.
    expect(all[0]).toBe('P-OVR-c-0')
    expect(all[26]).toBe('P-OVR-c-26')
  })

  it("never shows another practice's events: excluded from the queue, 404 by address or ?practice=", async () => {
    const mine = await queue()
    expect(JSON.stringify(mine.data)).not.toContain('P-OVR-OTHER-PRACTICE')
    expect((await queue('?practice=B82002')).status).toBe(404)
    expect((await eventPage(ids.other)).status).toBe(404)
    expect((await eventPage(ids.other, users.auditorA)).status).toBe(404)
    // Not a number, or no such event: the same answer.
    const notAnId = await respond(() =>
      eventRoute.loader({ request: get('/overrides/abc', users.guardianA), params: { id: 'abc' }, context: context() }),
    )
    expect(notAnId.status).toBe(404)
    expect((await eventPage(987654)).status).toBe(404)
    // Practice B's own guardian sees it.
    expect((await eventPage(ids.other, users.guardianB)).data.event.patientPseudonym).toBe('P-OVR-OTHER-PRACTICE')
    // An administrator sees every practice.
    expect((await queue('', users.adminAll)).data.total).toBe(4 + 1 + 27)
  })

  it('exports the queue as CSV with the same filters, and logs the export', async () => {
    const response = await respond(() =>
      csvLoader({ request: get('/overrides.csv?status=pending', users.auditorA), params: {}, context: context() }),
    )
    expect(response.status).toBe(200)
    expect(response.headers.get('Content-Type')).toBe('text/csv; charset=utf-8')
    const lines = (await response.text()).trim().split('\r\n')
    expect(lines[0]).toBe(
      'event_id,occurred_at,practice,patient_pseudonym,kind,reason_code,reason,purpose_code,legal_basis,actor_role,actor,recipient,description,due_at,status,overdue,reviews,latest_verdict,latest_signed_at,latest_reviewer,escalated',
    )
    expect(lines).toHaveLength(3)
    expect(lines[1]).toContain(`${ids.overdue},`)
    expect(lines[1]).toContain(
      ',A81001,P-OVR-a-overdue,break_glass,OVRER,Emergency treatment (OVRER),ETREAT,Vital interests / emergency,GP,dr.jones,County Hospital (RX1),',
    )
    expect(lines[1]).toContain(',pending,yes,0,')
    expect(lines[2]).toContain('P-OVR-a-recent')
    expect(lines.join('\n')).not.toContain('OTHER-PRACTICE')
    const all = await respond(() => csvLoader({ request: get('/overrides.csv', users.auditorA), params: {}, context: context() }))
    const reviewedLine = (await all.text()).split('\r\n').find((l) => l.includes('P-OVR-a-reviewed'))!
    expect(reviewedLine).toContain(',reviewed,no,1,justified,')
    const logged = await t.db('access_log').where({ user_id: users.auditorA.id, action: 'export', target: '/overrides.csv' }).orderBy('id')
    expect(logged).toHaveLength(2)
    expect(logged[0].detail).toEqual({ filters: { status: 'pending' }, rows: 2 })
  })
})

describe('override review form', () => {
  it('shows the form only to a Caldicott guardian, with the other guardians and managers of the practice as second signers', async () => {
    const guardian = await eventPage(ids.overdue)
    expect(guardian.data.canReview).toBe(true)
    expect(guardian.data.reviews).toEqual([])
    expect(guardian.data.latestReviewId).toBeNull()
    const signerIds = guardian.data.signers.map((s: { id: number }) => s.id).sort()
    expect(signerIds).toEqual([users.guardianA2.id, users.managerA.id].sort())
    for (const user of [users.managerA, users.auditorA, users.adminAll]) {
      const other = await eventPage(ids.overdue, user)
      expect(other.data.canReview).toBe(false)
      expect(other.data.signers).toEqual([])
    }
  })

  it('refuses a review from an auditor, a practice manager or an administrator with 403', async () => {
    for (const user of [users.auditorA, users.managerA, users.adminAll]) {
      const response = await review(ids.overdue, user, firstReview)
      expect(response.status).toBe(403)
      expect(await response.text()).toContain('cannot do this')
    }
    expect(await reviewsOf(ids.overdue)).toEqual([])
  })

  it('refuses a post without the anti-forgery token or from another site', async () => {
    expect((await review(ids.overdue, users.guardianA, firstReview, { csrf: null })).status).toBe(403)
    expect((await review(ids.overdue, users.guardianA, firstReview, { origin: 'https://evil.example' })).status).toBe(403)
    expect(await reviewsOf(ids.overdue)).toEqual([])
    expect(
      Number((await t.db('access_log').where({ user_id: users.guardianA.id, action: 'csrf_refused' }).count('* as n').first())!.n),
    ).toBe(2)
  })

  it('requires written reasons and a verdict: 400 with the message for the field', async () => {
    const blank = await review(ids.overdue, users.guardianA, { ...firstReview, reasons: '   \n ' })
    expect(blank.status).toBe(400)
    const body = await blank.json()
    expect(body.errors).toEqual({ reasons: 'Write the reasons for your verdict' })
    expect(body.values.verdict).toBe('justified')
    const noVerdict = await review(ids.overdue, users.guardianA, { ...firstReview, verdict: '' })
    expect(noVerdict.status).toBe(400)
    expect((await noVerdict.json()).errors.verdict).toBe('Choose a verdict: justified, not justified or inconclusive')
    expect(await reviewsOf(ids.overdue)).toEqual([])
  })

  it('accepts as second signer only another guardian or manager of that practice', async () => {
    const refused: Array<[TestUser, string]> = [
      [users.guardianA, 'The second signer must be someone other than you'],
      [users.guardianB, 'must be a Caldicott guardian or practice manager of this practice'],
      [users.managerB, 'must be a Caldicott guardian or practice manager of this practice'],
      [users.auditorA, 'must be a Caldicott guardian or practice manager of this practice'],
    ]
    for (const [signer, message] of refused) {
      const response = await review(ids.overdue, users.guardianA, { ...firstReview, secondSigner: String(signer.id) })
      expect(response.status).toBe(400)
      expect((await response.json()).errors.secondSigner).toContain(message)
    }
    expect((await review(ids.overdue, users.guardianA, { ...firstReview, secondSigner: 'x' })).status).toBe(400)
    expect(await reviewsOf(ids.overdue)).toEqual([])
  })

  it('signs a review: the row, the access-log entry, the notice, and the queue count drops', async () => {
    const response = await review(ids.overdue, users.guardianA, { ...firstReview, secondSigner: String(users.managerA.id), escalate: 'on' })
    expect(response.status).toBe(302)
    const [row] = await reviewsOf(ids.overdue)
    expect(response.headers.get('Location')).toBe(`/overrides/${ids.overdue}?signed=${row.id}`)
    expect(row).toMatchObject({
      reviewer_id: users.guardianA.id,
      verdict: 'justified',
      reasons: firstReview.reasons,
      second_signer_id: users.managerA.id,
      escalated: true,
      supersedes_id: null,
    })
    const log = await t.db('access_log').where({ user_id: users.guardianA.id, action: 'override_review' })
    expect(log).toHaveLength(1)
    expect(log[0]).toMatchObject({ target: `override:${ids.overdue}`, outcome: 'ok', practice_id: expect.any(Number) })
    expect(log[0].detail).toMatchObject({ verdict: 'justified', escalated: true, supersedes: null })

    const page = await eventPage(ids.overdue, users.guardianA, `?signed=${row.id}`)
    expect(page.data.notice).toBe(
      'Your review is signed and recorded as review 1, and escalated as an incident. It is complete once Test practice_manager countersigns it.',
    )
    expect(page.data.reviews).toEqual([
      expect.objectContaining({
        number: 1,
        verdictLabel: 'Justified',
        reviewerRoleLabel: 'Caldicott guardian',
        secondSignerName: 'Test practice_manager',
        secondSignerRoleLabel: 'Practice manager',
        escalated: true,
        supersededByNumber: null,
        countersignature: null,
      }),
    ])
    // Issue 16: naming a second signer is not enough; the review awaits their countersignature.
    expect(page.data.event.status).toBe('awaiting_countersignature')
    expect(page.data.countersign).toBeNull() // the reviewer cannot countersign their own review
    // A made-up ?signed= puts no words on the page.
    expect((await eventPage(ids.overdue, users.guardianA, '?signed=999')).data.notice).toBeNull()
    expect((await queue()).data.counts).toEqual({ pending: 2, overdue: 1 })
    const practiceA = (await t.db('override_events').where({ id: ids.overdue }).first('practice_id')).practice_id
    const overview = () => countOverridesAwaitingReview(t.db, { practiceIds: [practiceA] }, 7)
    expect(await overview()).toEqual({ pending: 2, overdue: 1 }) // the overview agrees

    // Only the named signer may countersign: anyone else, even a guardian of the practice, gets 403.
    expect((await review(ids.overdue, users.guardianA2, { intent: 'countersign', review: String(row.id), reason: '' })).status).toBe(403)
    const mine = await queue('', users.managerA)
    expect(mine.data.awaitingMine).toEqual([
      expect.objectContaining({ reviewId: row.id, eventId: ids.overdue, reviewerName: 'Test caldicott_guardian' }),
    ])
    expect((await eventPage(ids.overdue, users.managerA)).data.countersign).toMatchObject({ reviewId: row.id, reviewNumber: 1 })
    const signed = await review(ids.overdue, users.managerA, { intent: 'countersign', review: String(row.id), reason: '' })
    expect(signed.status).toBe(302)
    expect(signed.headers.get('Location')).toBe(`/overrides/${ids.overdue}?countersigned=countersigned`)
    expect(await t.db('override_countersignatures').where({ review_id: row.id }).first()).toMatchObject({
      signer_id: users.managerA.id,
      decision: 'countersigned',
      reason: null,
    })
    expect(await t.db('access_log').where({ user_id: users.managerA.id, action: 'override_countersign' }).first()).toMatchObject({
      target: `override:${ids.overdue}`,
    })
    // Once only.
    expect(
      (await review(ids.overdue, users.managerA, { intent: 'decline', review: String(row.id), reason: 'Changed my mind' })).status,
    ).toBe(409)
    expect((await eventPage(ids.overdue, users.guardianA)).data.event.status).toBe('reviewed')
    expect(await overview()).toEqual({ pending: 1, overdue: 0 })
    expect((await queue('', users.managerA)).data.awaitingMine).toEqual([])

    const after = await queue()
    expect(after.data.counts).toEqual({ pending: 1, overdue: 0 })
    expect(after.data.events.map((e: { id: number }) => e.id)[0]).toBe(ids.recent)
  })

  it('a signed review is immutable: the table refuses UPDATE and DELETE', async () => {
    const [row] = await reviewsOf(ids.overdue)
    await expect(t.db('override_reviews').where({ id: row.id }).update({ verdict: 'not_justified' })).rejects.toThrow(/append-only/)
    await expect(t.db('override_reviews').where({ id: row.id }).delete()).rejects.toThrow(/append-only/)
  })

  it('a later review supersedes the previous one; both stay, marked, newest first', async () => {
    const [first] = await reviewsOf(ids.overdue)
    const response = await review(ids.overdue, users.guardianA2, {
      verdict: 'not_justified',
      reasons: 'New information: the patient had capacity and refused.',
      secondSigner: String(users.guardianA.id),
      escalate: '',
      supersedes: String(first.id),
    })
    expect(response.status).toBe(302)
    const rows = await reviewsOf(ids.overdue)
    expect(rows).toHaveLength(2)
    expect(rows[0]).toMatchObject({ id: first.id, verdict: 'justified', supersedes_id: null })
    expect(rows[1]).toMatchObject({ verdict: 'not_justified', supersedes_id: first.id, reviewer_id: users.guardianA2.id, escalated: false })
    const log = await t.db('access_log').where({ user_id: users.guardianA2.id, action: 'override_review' }).first()
    expect(log.detail).toMatchObject({ verdict: 'not_justified', escalated: false, supersedes: first.id })

    const page = await eventPage(ids.overdue, users.guardianA)
    expect(
      page.data.reviews.map((r: { number: number; supersededByNumber: number | null; supersedesNumber: number | null }) => [
        r.number,
        r.supersededByNumber,
        r.supersedesNumber,
      ]),
    ).toEqual([
      [2, null, 1],
      [1, 2, null],
    ])
    expect(page.data.latestReviewId).toBe(rows[1].id)
    expect(page.data.event.status).toBe('awaiting_countersignature')
    // A decline needs its reason (400 at the field); with one, the event needs a new review.
    const noReason = await review(ids.overdue, users.guardianA, { intent: 'decline', review: String(rows[1].id), reason: ' ' })
    expect(noReason.status).toBe(400)
    expect((await noReason.json()).countersignErrors.reason).toBe('Write why you decline to countersign this review')
    expect(
      (
        await review(ids.overdue, users.guardianA, {
          intent: 'decline',
          review: String(rows[1].id),
          reason: 'The notes show the patient had capacity.',
        })
      ).status,
    ).toBe(302)
    const declined = await eventPage(ids.overdue, users.guardianA, '?countersigned=declined')
    expect(declined.data.event.status).toBe('pending')
    expect(declined.data.notice).toBe('You declined to countersign review 2. The event needs a new review.')
    expect(declined.data.reviews[0].countersignature).toMatchObject({
      decision: 'declined',
      reason: 'The notes show the patient had capacity.',
    })
    // A third review with no second signer completes it.
    expect(
      (await review(ids.overdue, users.guardianA2, { ...firstReview, verdict: 'not_justified', supersedes: String(rows[1].id) })).status,
    ).toBe(302)
    const third = (await reviewsOf(ids.overdue))[2]
    const listed = (await queue('?status=reviewed')).data.events.find((e: { id: number }) => e.id === ids.overdue)
    expect(listed.latest).toMatchObject({ verdict: 'not_justified', id: third.id })
    expect(listed.reviewCount).toBe(3)
  })

  it('tells the reviewer when someone else reviewed meanwhile (409) and keeps their words', async () => {
    const [first] = await reviewsOf(ids.overdue)
    // guardianA still has the page from before the second review: it superseded review 1.
    const stale = await review(ids.overdue, users.guardianA, {
      ...firstReview,
      reasons: 'My late second thoughts',
      supersedes: String(first.id),
    })
    expect(stale.status).toBe(409)
    const body = await stale.json()
    expect(body.errors.form).toContain('Someone else signed a review of this event while you were writing yours')
    expect(body.values.reasons).toBe('My late second thoughts')
    // A form that saw no review at all, on an event that now has three, is stale too.
    expect((await review(ids.overdue, users.guardianA, { ...firstReview, supersedes: '' })).status).toBe(409)
    expect(await reviewsOf(ids.overdue)).toHaveLength(3)
    // And the database itself refuses two reviews superseding the same one.
    await expect(
      t.db('override_reviews').insert({
        override_event_id: ids.overdue,
        reviewer_id: users.guardianA.id,
        verdict: 'inconclusive',
        reasons: 'x',
        supersedes_id: first.id,
      }),
    ).rejects.toThrow(/override_reviews_supersedes_id_unique/)
  })

  it('answers 404 to a review of another practice’s event, and writes nothing', async () => {
    const response = await review(ids.other, users.guardianA, firstReview)
    expect(response.status).toBe(404)
    expect(await reviewsOf(ids.other)).toEqual([])
    expect((await review('abc', users.guardianA, firstReview)).status).toBe(404)
  })

  it('keeps the queue filters across the sign-and-return round trip', async () => {
    const response = await respond(() =>
      eventRoute.action({
        request: post(`/overrides/${ids.recent}?status=pending&practice=A81001`, users.guardianA, {
          ...firstReview,
          verdict: 'inconclusive',
        }),
        params: { id: String(ids.recent) },
        context: context(),
      }),
    )
    expect(response.status).toBe(302)
    const location = new URL(response.headers.get('Location')!, 'http://x')
    expect(location.pathname).toBe(`/overrides/${ids.recent}`)
    expect(location.searchParams.get('status')).toBe('pending')
    expect(location.searchParams.get('practice')).toBe('A81001')
    expect(location.searchParams.get('signed')).toMatch(/^\d+$/)
    expect((await queue()).data.counts).toEqual({ pending: 0, overdue: 0 })
  })
})
