import { beforeAll, describe, expect, it } from 'vitest'
import { readSession, startSession } from '../../../app/lib/session.server.js'
import { setCaseStatus } from '../../../core/findings/status.js'
import { ensureOrganisation } from '../../../db/queries/organisations.js'
import { loader as csvLoader } from '../../../app/routes/register[.]csv.js'
import { loader } from '../../../app/routes/register._index.js'
import { get, loadContext, ORIGIN, respond, type TestUser } from '../../support/app.js'
import { seedDecisions } from '../../support/decision-register-seed.js'
import { useTestDatabase } from '../../support/db.js'

// Issue 17, part 3: the decision register holds every review, countersignature and finding
// decision of the viewer's practices (compared with direct queries of the tables that record
// them), nothing of another practice, and nothing the rules engine did on its own.

const t = useTestDatabase()
let seed: Awaited<ReturnType<typeof seedDecisions>>
const signed = {} as Record<'guardian' | 'manager' | 'auditor' | 'admin' | 'guardianB', TestUser>

beforeAll(async () => {
  seed = await seedDecisions(t.db)
  const context = loadContext(t)
  for (const [name, u] of Object.entries(seed.users)) {
    const cookie = (await startSession(context, u.id)).split(';')[0]!
    const session = await readSession(context, new Request(ORIGIN, { headers: { Cookie: cookie } }))
    signed[name as keyof typeof signed] = { id: u.id, email: u.email, role: u.role, cookie, csrf: session!.csrf }
  }
})

async function page(query: string, user: TestUser = signed.guardian) {
  const response = await respond(() => loader({ request: get(`/register${query}`, user), params: {}, context: loadContext(t) }))
  return response.status === 200 ? { status: 200, data: await response.json() } : { status: response.status, data: await response.text() }
}

/** The decisions of these practices straight from the tables, as register keys, newest first. */
async function directKeys(practiceIds: number[]): Promise<Array<{ key: string; at: Date }>> {
  const reviews = await t
    .db('override_reviews as r')
    .join('override_events as o', 'o.id', 'r.override_event_id')
    .whereIn('o.practice_id', practiceIds)
    .select('r.id', 'r.signed_at as at')
  const countersignatures = await t
    .db('override_countersignatures as c')
    .join('override_reviews as r', 'r.id', 'c.review_id')
    .join('override_events as o', 'o.id', 'r.override_event_id')
    .whereIn('o.practice_id', practiceIds)
    .select('c.id', 'c.signed_at as at')
  const findingEvents = await t
    .db('finding_events as e')
    .join('findings as f', 'f.id', 'e.finding_id')
    .whereIn('f.practice_id', practiceIds)
    .whereNotNull('e.by_user_id')
    .select('e.id', 'e.at')
  return [
    ...reviews.map((r) => ({ key: `review:${r.id}`, at: r.at })),
    ...countersignatures.map((c) => ({ key: `countersignature:${c.id}`, at: c.at })),
    ...findingEvents.map((e) => ({ key: `finding_event:${e.id}`, at: e.at })),
  ].sort((x, y) => y.at.getTime() - x.at.getTime())
}

describe('/register', () => {
  it('lists every review, countersignature and finding decision of the viewer’s practices, newest first, and nothing else', async () => {
    const { status, data } = await page('')
    expect(status).toBe(200)
    const expected = await directKeys([seed.practiceA.id])
    expect(expected).toHaveLength(8)
    expect(data.decisions.rows.map((r: { key: string }) => r.key)).toEqual(expected.map((e) => e.key))
    expect(data.decisions.total).toBe(8)
    const text = JSON.stringify(data)
    for (const word of ['Hillside', 'B82002', 'P-DEC-B1', 'Dr Hills', 'Closed by the system', 'Detected by rule'])
      expect(text).not.toContain(word)
  })

  it('says each decision in words, with its reasons, who took it and a link to what it is about', async () => {
    const { data } = await page('')
    const rows = data.decisions.rows as Array<Record<string, string>>
    const byKind = (kind: string) => rows.filter((r) => r.kind === kind)
    expect(byKind('review').map((r) => r.decision)).toEqual([
      'Not justified; escalated; standing',
      'Justified; standing',
      'Inconclusive; superseded by a later review',
    ])
    expect(byKind('review')[0]).toMatchObject({
      kindLabel: 'Override review',
      practiceOds: 'A81001',
      href: `/overrides/${seed.events.a2}`,
      about: `Override ${seed.events.a2}: Emergency access without consent ("break glass"), patient P-DEC-A2, 1 Apr 2026, 11:00`,
      reasons: 'No emergency: the patient was seen routinely.',
      by: 'Dr Rivers',
      byRole: 'Caldicott guardian',
    })
    expect(byKind('countersignature').map((r) => [r.decision, r.reasons, r.by, r.byRole])).toEqual([
      [
        'Declined to countersign (review: Not justified)',
        'The verdict should wait for the clinician’s account.',
        'Morag Manager',
        'Practice manager',
      ],
      ['Countersigned (review: Justified)', null, 'Morag Manager', 'Practice manager'],
    ])
    expect(byKind('accepted_risk')).toEqual([
      expect.objectContaining({
        kindLabel: 'Accepted risk',
        decision: 'Accepted (was open)',
        href: `/findings/${seed.findings.f1}`,
        about: `Finding ${seed.findings.f1}: Marketing disclosure to Acme Leaflets`,
        by: 'Dr Rivers',
      }),
    ])
    expect(byKind('finding').map((r) => r.decision)).toEqual(['Reopened (was resolved)', 'Resolved (was open)'])
  })

  it('filters by kind of decision and by the period the decision was taken in', async () => {
    const kinds = { review: 3, countersignature: 2, accepted_risk: 1, finding: 2 }
    for (const [kind, n] of Object.entries(kinds)) {
      const { data } = await page(`?kind=${kind}`)
      expect(data.decisions.rows.map((r: { kind: string }) => r.kind)).toEqual(Array(n).fill(kind))
    }
    // 3 March 09:00 UTC is in the period; the reopening on 20 February and the April decisions are not.
    const { data } = await page('?from=2026-03-01&to=2026-03-31')
    const expected = (await directKeys([seed.practiceA.id])).filter(
      (e) => e.at >= new Date('2026-03-01T00:00:00Z') && e.at < new Date('2026-04-01T00:00:00+01:00'),
    )
    expect(data.decisions.rows.map((r: { key: string }) => r.key)).toEqual(expected.map((e) => e.key))
    expect(expected).toHaveLength(3)
  })

  it('is for guardians, practice managers and auditors; another practice is a 404; a bad filter is a 400', async () => {
    expect((await page('', signed.manager)).status).toBe(200)
    expect((await page('', signed.auditor)).status).toBe(200)
    expect((await page('', signed.admin)).status).toBe(403)
    expect((await page('?practice=B82002')).status).toBe(404)
    const bad = await page('?kind=everything')
    expect(bad.status).toBe(400)
    expect(bad.data).toContain('choose a kind of decision from the list')
    // Hillside's guardian sees Hillside's decisions only.
    const { data } = await page('', signed.guardianB)
    expect(data.decisions.rows.map((r: { key: string }) => r.key)).toEqual((await directKeys([seed.practiceB.id])).map((e) => e.key))
    expect(JSON.stringify(data)).not.toContain('Riverside')
  })

  it('records that the pseudonyms it showed were looked at', async () => {
    await page('?kind=review')
    const entry = await t
      .db('access_log')
      .where({ user_id: signed.guardian.id, action: 'view_decision_register' })
      .orderBy('id', 'desc')
      .first()
    expect(entry.detail.patients.sort()).toEqual(['P-DEC-A1', 'P-DEC-A2'])
  })

  it('exports the same rows as CSV with the same filters, named by type, practice and period', async () => {
    const response = await csvLoader({
      request: get('/register.csv?kind=countersignature&from=2026-01-01&to=2026-12-31', signed.guardian),
      params: {},
      context: loadContext(t),
    })
    expect(response.headers.get('Content-Disposition')).toBe('attachment; filename="decisions_A81001_2026-01-01_2026-12-31.csv"')
    const bytes = Buffer.from(await response.arrayBuffer())
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    const lines = bytes.subarray(3).toString('utf8').trim().split('\r\n')
    expect(lines[0]).toBe('decided_at,practice,kind,about,about_page,decision,reasons,by,by_role')
    expect(lines).toHaveLength(3)
    expect(lines[1]).toContain('Declined to countersign (review: Not justified)')
    expect(lines.join()).not.toContain('Hillside')
    const all = await csvLoader({ request: get('/register.csv', signed.guardian), params: {}, context: loadContext(t) })
    expect((await all.text()).trim().split('\r\n')).toHaveLength(1 + 8)
    expect(
      Number(
        (await t.db('access_log').where({ user_id: signed.guardian.id, action: 'export', target: '/register.csv' }).count('* as n').first())
          ?.n,
      ),
    ).toBe(2)
    expect(
      (
        await respond(() =>
          csvLoader({ request: get('/register.csv?from=2026-02-30', signed.guardian), params: {}, context: loadContext(t) }),
        )
      ).status,
    ).toBe(400)
  })

  it('shows a decision taken for a whole case once, with its count of findings and a link to the case', async () => {
    const lane = await ensureOrganisation(t.db, { odsCode: 'LU9', name: 'Lane University', recipientType: 'research_org' })
    const caseKey = `recipient:${lane}:research`
    for (const n of [1, 2, 3])
      await t.db('findings').insert({
        rule_id: 'no_agreement',
        severity: 'medium',
        practice_id: seed.practiceA.id,
        subject_key: `disclosure:95${n}`,
        case_key: caseKey,
        summary: `Research disclosure ${n} to Lane University`,
        status: 'open',
        opened_at: '2026-05-01T10:00:00Z',
      })
    const reason = 'One-off disclosures under a court order; the order is on file.'
    const done = await setCaseStatus(
      t.db,
      { ruleId: 'no_agreement', practiceId: seed.practiceA.id, caseKey, from: 'open' },
      'accepted',
      reason,
      signed.guardian.id,
    )
    expect(done.changed).toBe(3)
    const { data } = await page('?kind=accepted_risk')
    const rows = data.decisions.rows as Array<Record<string, string>>
    expect(rows).toHaveLength(2) // the case once, and the single finding accepted before
    expect(rows[0]).toMatchObject({
      kindLabel: 'Accepted risk',
      decision: 'Accepted (was open)',
      about: '3 findings of a case: No data sharing agreement in force, A81001 Lane University (LU9), Research',
      href: `/findings/case?practice=A81001&rule=no_agreement&key=${encodeURIComponent(caseKey)}&status=accepted`,
      reasons: reason,
      by: 'Dr Rivers',
    })
    // Each finding still has its own history entry (the register groups them; it copies nothing).
    const events = await t.db('finding_events as e').join('findings as f', 'f.id', 'e.finding_id').where({ 'f.case_key': caseKey })
    expect(events).toHaveLength(3)
    const csv = await csvLoader({ request: get('/register.csv?kind=accepted_risk', signed.guardian), params: {}, context: loadContext(t) })
    const lines = (await csv.text()).trim().split('\r\n')
    expect(lines).toHaveLength(1 + 2)
    expect(lines[1]).toContain('3 findings of a case')
  })
})
