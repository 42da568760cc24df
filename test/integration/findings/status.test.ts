import { beforeAll, describe, expect, it } from 'vitest'
import { getFinding, listFindingDetails } from '../../../db/queries/findings.js'
import { FindingStatusError, setFindingStatus } from '../../../core/findings/status.js'
import { evaluateFindings } from '../../../core/findings/evaluate.js'
import { refreshFindings } from '../../../core/findings/refresh.js'
import { useTestDatabase } from '../../support/db.js'
import { eventsOf, findingOf, practiceFixture, refresh, reviewer, type PracticeFixture } from './fixtures.js'

// What people decide about a finding stands: accepted stays accepted, a person's resolution is
// not undone by the next refresh, and every change is in the history with who and why.

const t = useTestDatabase()
let p: PracticeFixture
let police: number
let guardian: number
const key = (id: number) => `disclosure:${id}`

beforeAll(async () => {
  p = await practiceFixture(t.db, 'A20001', 'Orchard Surgery')
  police = await p.org('County Police', 'police_judicial')
  guardian = await reviewer(t.db)
})

describe('finding status', () => {
  it('keeps an accepted finding accepted when its cause goes away, with the history of who did what', async () => {
    const d = await p.disclosure({
      occurred_at: '2026-10-07T10:00:00Z',
      recipient_id: police,
      purpose: 'legal',
      legal_basis: 'legal_obligation',
    })
    await refresh(t.db)
    const f = (await findingOf(t.db, 'no_agreement', key(d)))!
    expect(
      await setFindingStatus(t.db, f.id, 'accepted', '  One-off disclosure under a court order; the order is on file.  ', guardian),
    ).toEqual({
      changed: true,
      from: 'open',
      to: 'accepted',
    })
    await p.agreement({ recipientId: police, purposes: ['legal'], level: 'identifiable', from: '2026-01-01' })
    await refresh(t.db)
    const detail = (await getFinding(t.db, f.id))!
    expect(detail).toMatchObject({ status: 'accepted', ruleId: 'no_agreement', practiceOds: 'A20001', subjectKey: key(d) })
    expect(detail.evidence[0]).toMatchObject({ type: 'disclosure', id: d })
    expect(detail.events.map((e) => [e.fromStatus, e.toStatus, e.byUser])).toEqual([
      [null, 'open', null],
      ['open', 'accepted', 'Dr Test Guardian'],
    ])
    expect(detail.events[1]!.reason).toBe('One-off disclosure under a court order; the order is on file.')
  })

  it('does not reopen a finding a person resolved while its cause is still there', async () => {
    const d = await p.disclosure({ occurred_at: '2026-10-08T10:00:00Z', recipient_id: police, purpose: 'marketing' })
    await refresh(t.db)
    const f = (await findingOf(t.db, 'prohibited_purpose', key(d)))!
    await setFindingStatus(t.db, f.id, 'resolved', 'Recipient confirmed deletion; staff retrained.', guardian)
    for (const mode of ['incremental', 'full'] as const) await refresh(t.db, { mode })
    expect((await findingOf(t.db, 'prohibited_purpose', key(d)))!.status).toBe('resolved')
    expect((await eventsOf(t.db, f.id)).map((e) => e.to_status)).toEqual(['open', 'resolved'])
  })

  it('lets a person reopen a finding; the system resolves it again if its cause is gone', async () => {
    const university = await p.org('Orchard University', 'research_org')
    const d = await p.disclosure({ occurred_at: '2026-10-09T10:00:00Z', recipient_id: university, purpose: 'research' })
    await refresh(t.db)
    const f = (await findingOf(t.db, 'no_agreement', key(d)))!
    await p.agreement({ recipientId: university, purposes: ['research'], level: 'identifiable', from: '2026-01-01' })
    await refresh(t.db)
    expect((await findingOf(t.db, 'no_agreement', key(d)))!.status).toBe('resolved')
    expect((await setFindingStatus(t.db, f.id, 'open', 'Checking the agreement really covers this study.', guardian)).changed).toBe(true)
    await refresh(t.db)
    expect((await eventsOf(t.db, f.id)).map((e) => [e.to_status, e.by_user_id])).toEqual([
      ['open', null],
      ['resolved', null],
      ['open', guardian],
      ['resolved', null],
    ])
  })

  it('refuses an empty reason or an unknown finding, and treats the same status as no change', async () => {
    const [f] = await listFindingDetails(t.db, { status: 'accepted' })
    await expect(setFindingStatus(t.db, f!.id, 'resolved', '   ', guardian)).rejects.toThrow(FindingStatusError)
    await expect(setFindingStatus(t.db, 999_999, 'resolved', 'why', guardian)).rejects.toThrow(/There is no finding 999999/)
    const before = (await eventsOf(t.db, f!.id)).length
    expect(await setFindingStatus(t.db, f!.id, 'accepted', 'again', guardian)).toEqual({ changed: false, from: 'accepted', to: 'accepted' })
    expect(await eventsOf(t.db, f!.id)).toHaveLength(before)
  })

  it('lists findings with their evidence by status, practice and rule', async () => {
    const other = await practiceFixture(t.db, 'A20002')
    const org = await other.org('Elsewhere Ltd', 'other')
    await other.disclosure({ occurred_at: '2026-10-09T10:00:00Z', recipient_id: org, purpose: 'insurance' })
    await refresh(t.db)
    const mine = await listFindingDetails(t.db, { practiceIds: [p.practice.id] })
    expect(mine.length).toBeGreaterThan(2)
    expect(mine.every((f) => f.practiceOds === 'A20001')).toBe(true)
    const theirs = await listFindingDetails(t.db, { practiceIds: [other.practice.id], status: 'open' })
    expect(theirs.map((f) => f.ruleId).sort()).toEqual(['no_agreement', 'prohibited_purpose'])
    expect(theirs[0]!.severity).toBe('high')
    expect(await listFindingDetails(t.db, { ruleIds: ['prohibited_purpose'], practiceIds: [other.practice.id] })).toHaveLength(1)
  })
})

describe('concurrent refreshes', () => {
  it('wait for each other: each finding is opened once', async () => {
    const q = await practiceFixture(t.db, 'A20003')
    const org = await q.org('Parallel Analytics Ltd', 'research_org')
    const ids: number[] = []
    for (let i = 0; i < 20; i++)
      ids.push(await q.disclosure({ occurred_at: '2026-10-10T10:00:00Z', recipient_id: org, purpose: 'marketing' }))
    const deps = { db: t.db, config: { overrideReviewDays: 7 } }
    const results = await Promise.all([refreshFindings(deps), refreshFindings(deps), evaluateFindings(t.db, { mode: 'full' })])
    const opened = results
      .flatMap((r) => ('rules' in r ? r.rules : r))
      .filter((r) => r.ruleId === 'prohibited_purpose')
      .reduce((n, r) => n + r.opened, 0)
    expect(opened).toBe(20)
    const { rows } = await t.db.raw(
      `SELECT count(*) AS n FROM finding_events e JOIN findings f ON f.id = e.finding_id
        WHERE f.rule_id = 'prohibited_purpose' AND f.subject_key = ANY(?::text[]) AND e.from_status IS NULL`,
      [`{${ids.map(key).join(',')}}`],
    )
    expect(rows[0].n).toBe(20)
  })
})
