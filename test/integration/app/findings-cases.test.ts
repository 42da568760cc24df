import { describe, expect, it } from 'vitest'
import { loader as casesLoader } from '../../../app/routes/findings._index.js'
import { loader as casesCsv } from '../../../app/routes/findings[.]csv.js'
import { action as decideCase, loader as caseLoader } from '../../../app/routes/findings.case.js'
import { loader as agreementsLoader } from '../../../app/routes/admin.agreements.js'
import { loader as findingLoader } from '../../../app/routes/findings.$id.js'
import { get, loadContext, post, respond, signedInUser } from '../../support/app.js'
import { useTestDatabase } from '../../support/db.js'
import { practiceFixture, refresh } from '../findings/fixtures.js'

// /findings shows cases (decision 036): rule x practice x the thing to fix, most severe first,
// then by count; a case page drills down to its findings and takes one decision for all of them.

const t = useTestDatabase()

let ids: { uni: number; csu: number; insurer: number; a: number }

async function seed() {
  const a = await practiceFixture(t.db, 'A81001', 'Riverside')
  const b = await practiceFixture(t.db, 'B82002', 'Hillside')
  const uni = await a.org('Lane University', 'research_org', 'LU1')
  const csu = await a.org('North CSU', 'data_processor', '0AR')
  const insurer = await a.org('Acme Insurance', 'insurer', 'AC1')
  const write = async (p: typeof a, recipient: number, purpose: string, n: number, tag: string) => {
    await t.db.raw(
      `INSERT INTO disclosures (practice_id, source_id, source_record_id, source_version, occurred_at, patient_pseudonym, recipient_id, purpose, data_level)
       SELECT ?, ?, ? || g, '1', '2026-03-01T10:00:00Z'::timestamptz + g * interval '1 hour', 'P-CASE-' || lpad(g::text, 4, '0') || '-0000', ?, ?, 'identifiable'
         FROM generate_series(1, ?) g`,
      [p.practice.id, p.source.id, tag, recipient, purpose, n],
    )
  }
  await write(a, uni, 'research', 130, 'u')
  await write(a, csu, 'commissioning', 40, 'c')
  await write(a, insurer, 'insurance', 3, 'i')
  await write(b, uni, 'research', 7, 'b')
  await refresh(t.db, { rules: ['no_agreement', 'prohibited_purpose'] })
  // A patient's case (an opt-out breach): its key is a pseudonym, not a number.
  await t.db('findings').insert({
    rule_id: 'optout_disclosure',
    severity: 'high',
    practice_id: a.practice.id,
    subject_key: 'disclosure:999999',
    case_key: 'patient:P-7KQ2-M9XD-4TZA',
    summary: 'Opted-out patient’s data disclosed',
  })
  ids = { uni, csu, insurer, a: a.practice.id }
}

const caseUrl = (key: string, extra = '') => `/findings/case?practice=A81001&rule=no_agreement&key=${encodeURIComponent(key)}${extra}`

describe('/findings (cases)', () => {
  it('lists cases most severe first, then by count, with their dates and what resolves them; scoped, filtered, paged', async () => {
    await seed()
    const context = loadContext(t)
    const manager = await signedInUser(context, 'practice_manager', ['A81001'])
    const data = await (await casesLoader({ request: get('/findings', manager), params: {}, context })).json()
    // The insurer has no agreement either: its three disclosures are a case of each rule.
    expect(data.total).toBe(5)
    expect(data.cases.map((c: { ruleId: string; findings: number }) => [c.ruleId, c.findings])).toEqual([
      ['prohibited_purpose', 3],
      ['optout_disclosure', 1],
      ['no_agreement', 130],
      ['no_agreement', 40],
      ['no_agreement', 3],
    ])
    expect(data.cases[1]!.subject).toBe('patient P-7KQ2-M9XD-4TZA')
    const research = data.cases[2]!
    expect(research).toMatchObject({
      caseKey: `recipient:${ids.uni}:research`,
      subject: expect.stringContaining('Lane University (LU1)'),
      practiceOds: 'A81001',
      severity: 'medium',
      action: { linkText: 'Register the agreement', role: 'admin' },
    })
    expect(research.action.href).toContain(`recipient=${ids.uni}`)
    expect(research.action.href).toContain('purposes=research')
    expect(new Date(research.firstAt!).toISOString()).toBe('2026-03-01T11:00:00.000Z')
    expect(new Date(research.lastAt!).toISOString()).toBe('2026-03-06T20:00:00.000Z')
    // Hillside's case is not this manager's.
    expect(JSON.stringify(data)).not.toContain('B82002')
    const high = await (await casesLoader({ request: get('/findings?severity=high', manager), params: {}, context })).json()
    expect(high.cases).toHaveLength(2)
    const none = await (await casesLoader({ request: get('/findings?status=accepted', manager), params: {}, context })).json()
    expect(none.total).toBe(0)
    // A period narrows to the findings opened in it (all were opened today, by the refresh).
    const old = await (await casesLoader({ request: get('/findings?from=2020-01-01&to=2020-12-31', manager), params: {}, context })).json()
    expect(old.total).toBe(0)
    expect((await respond(() => casesLoader({ request: get('/findings?status=closed', manager), params: {}, context }))).status).toBe(400)
    expect((await respond(() => casesLoader({ request: get('/findings?page=0', manager), params: {}, context }))).status).toBe(400)
    expect((await respond(() => casesLoader({ request: get('/findings?practice=B82002', manager), params: {}, context }))).status).toBe(404)

    const csv = await casesCsv({ request: get('/findings.csv', manager), params: {}, context })
    const lines = (await csv.text())
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n')
    expect(lines[0]).toBe('rule,severity,practice,status,case,about,findings,first,last,to_resolve')
    expect(lines).toHaveLength(6)
    expect(lines[3]).toContain(`no_agreement,medium,A81001,open,recipient:${ids.uni}:research`)
    expect(lines[3]).toContain(',130,')
  })

  it('drills down to a case’s findings, 100 a page, and 404s a case of another practice or none', async () => {
    const context = loadContext(t)
    const auditor = await signedInUser(context, 'auditor', ['A81001'])
    const key = `recipient:${ids.uni}:research`
    const page1 = await (await caseLoader({ request: get(caseUrl(key), auditor), params: {}, context })).json()
    expect(page1.case.findings).toBe(130)
    expect(page1.findings).toHaveLength(100)
    expect(page1.canDecide).toBe(false)
    expect(page1.pages).toBe(2)
    const page2 = await (await caseLoader({ request: get(caseUrl(key, '&page=2'), auditor), params: {}, context })).json()
    expect(page2.findings).toHaveLength(30)
    expect(new Set([...page1.findings, ...page2.findings].map((f: { id: number }) => f.id)).size).toBe(130)
    // Each finding's page links back to its case.
    const one = page1.findings[0]!.id
    const detail = await (await findingLoader({ request: get(`/findings/${one}`, auditor), params: { id: String(one) }, context })).json()
    expect(detail.finding.caseHref).toBe(`${caseUrl(key)}&status=open`)
    expect(
      (await respond(() => caseLoader({ request: get(caseUrl('recipient:999:research'), auditor), params: {}, context }))).status,
    ).toBe(404)
    const other = `/findings/case?practice=B82002&rule=no_agreement&key=${encodeURIComponent(key)}`
    expect((await respond(() => caseLoader({ request: get(other, auditor), params: {}, context }))).status).toBe(404)
    // Without one practice named the case is not found either (it belongs to one practice).
    const guardianOfTwo = await signedInUser(context, 'caldicott_guardian', ['A81001', 'B82002'])
    const unnamed = `/findings/case?rule=no_agreement&key=${encodeURIComponent(key)}`
    expect((await respond(() => caseLoader({ request: get(unnamed, guardianOfTwo), params: {}, context }))).status).toBe(404)
  })

  it('accepts a whole case with one reason, recorded in every finding’s history, the ledger, the roll-up and the access log', async () => {
    const context = loadContext(t)
    const guardian = await signedInUser(context, 'caldicott_guardian', ['A81001'])
    const auditor = await signedInUser(context, 'auditor', ['A81001'])
    const key = `recipient:${ids.csu}:commissioning`
    const fields = { status: 'accepted', reason: 'Commissioning under the ICB’s s251 support' }
    expect((await respond(() => decideCase({ request: post(caseUrl(key), auditor, fields), params: {}, context }))).status).toBe(403)
    const missing = await respond(() =>
      decideCase({ request: post(caseUrl(key), guardian, { status: 'accepted', reason: '  ' }), params: {}, context }),
    )
    expect(missing.status).toBe(400)
    expect((await missing.json()).errors.reason).toBe('Write the reason for this decision.')

    const entriesBefore = Number((await t.db('ledger_entries').where({ table_name: 'finding_events' }).count('* as n').first())!.n)
    const done = await respond(() => decideCase({ request: post(caseUrl(key), guardian, fields), params: {}, context }))
    expect(done.status).toBe(302)
    expect(done.headers.get('Location')).toContain('status=accepted')
    expect(done.headers.get('Location')).toContain('changed=40')
    const statuses = await t.db('findings').where({ case_key: key }).distinct('status').pluck('status')
    expect(statuses).toEqual(['accepted'])
    const events = await t
      .db('finding_events as e')
      .join('findings as f', 'f.id', 'e.finding_id')
      .where({ 'f.case_key': key, 'e.to_status': 'accepted' })
      .select('e.reason', 'e.by_user_id', 'e.at')
    expect(events).toHaveLength(40)
    expect(new Set(events.map((e) => `${e.reason}|${e.by_user_id}|${new Date(e.at).toISOString()}`)).size).toBe(1)
    expect(events[0]).toMatchObject({ reason: fields.reason, by_user_id: guardian.id })
    const entriesAfter = Number((await t.db('ledger_entries').where({ table_name: 'finding_events' }).count('* as n').first())!.n)
    expect(entriesAfter - entriesBefore).toBe(40)
    const rollup = await t.db('finding_case_counts').where({ case_key: key }).select('status', 'findings')
    expect(rollup).toEqual([{ status: 'accepted', findings: 40 }])
    expect(await t.db('access_log').where({ user_id: guardian.id, action: 'finding_status' }).first()).toMatchObject({
      target: `case:no_agreement:${key}`,
    })
    // The open case is gone from the list; the accepted one is listed under "accepted".
    const open = await (await casesLoader({ request: get('/findings', guardian), params: {}, context })).json()
    expect(open.cases.map((c: { caseKey: string }) => c.caseKey)).not.toContain(key)
    const accepted = await (await casesLoader({ request: get('/findings?status=accepted', guardian), params: {}, context })).json()
    expect(accepted.cases.map((c: { caseKey: string }) => c.caseKey)).toEqual([key])
  })

  it('links an administrator to the agreement form filled in for the case', async () => {
    const context = loadContext(t)
    const admin = await signedInUser(context, 'admin', ['A81001'])
    const data = await (await casesLoader({ request: get('/findings', admin), params: {}, context })).json()
    expect(data.isAdmin).toBe(true)
    const research = data.cases.find((c: { ruleId: string }) => c.ruleId === 'no_agreement')!
    const page = await (await agreementsLoader({ request: get(research.action.href!, admin), params: {}, context })).json()
    expect(page.prefill).toMatchObject({
      recipient: String(ids.uni),
      purposes: ['research'],
      practices: [String(ids.a)],
      validFrom: '2026-03-01',
    })
  })
})
