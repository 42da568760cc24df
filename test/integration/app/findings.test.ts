import { describe, expect, it } from 'vitest'
import { loader as csvLoader } from '../../../app/routes/findings.list[.]csv.js'
import { loader } from '../../../app/routes/findings.list.js'
import { action as decide, loader as detailLoader } from '../../../app/routes/findings.$id.js'
import { ensurePractice } from '../../../db/queries/practices.js'
import { get, loadContext, post, respond, signedInUser } from '../../support/app.js'
import { useTestDatabase } from '../../support/db.js'

const t = useTestDatabase()

async function seed() {
  const a = await ensurePractice(t.db, { odsCode: 'A81001', name: 'Riverside' })
  const b = await ensurePractice(t.db, { odsCode: 'B82002', name: 'Hillside' })
  await t.db('findings').insert([
    {
      rule_id: 'prohibited_purpose',
      severity: 'high',
      practice_id: a.id,
      subject_key: 'disclosure:1',
      summary: 'Marketing disclosure to Acme',
      opened_at: '2026-03-02T10:00:00Z',
    },
    {
      rule_id: 'unreviewed_override',
      severity: 'medium',
      practice_id: a.id,
      subject_key: 'override:2',
      summary: 'Override not reviewed',
      status: 'resolved',
      opened_at: '2026-03-03T10:00:00Z',
    },
    {
      rule_id: 'prohibited_purpose',
      severity: 'high',
      practice_id: b.id,
      subject_key: 'disclosure:9',
      summary: 'Insurance disclosure at Hillside',
      opened_at: '2026-03-04T10:00:00Z',
    },
  ])
}

describe('/findings/list (the individual findings)', () => {
  it('lists the findings of the viewer’s practices only, with filters', async () => {
    await seed()
    const context = loadContext(t)
    const auditor = await signedInUser(context, 'auditor', ['A81001'])
    const data = await (await loader({ request: get('/findings/list', auditor), params: {}, context })).json()
    expect(data.findings.map((f: { summary: string }) => f.summary)).toEqual(['Marketing disclosure to Acme', 'Override not reviewed'])
    const open = await (await loader({ request: get('/findings/list?status=open', auditor), params: {}, context })).json()
    expect(open.findings).toHaveLength(1)
    expect((await respond(() => loader({ request: get('/findings/list?practice=B82002', auditor), params: {}, context }))).status).toBe(404)
    expect((await respond(() => loader({ request: get('/findings/list?status=closed', auditor), params: {}, context }))).status).toBe(400)
  })

  it('exports the same rows as CSV and writes the export to the access log', async () => {
    const context = loadContext(t)
    const manager = await signedInUser(context, 'practice_manager', ['A81001'])
    const response = await csvLoader({ request: get('/findings/list.csv?severity=high', manager), params: {}, context })
    expect(response.headers.get('Content-Type')).toContain('text/csv')
    const lines = (await response.text()).trim().split('\r\n')
    expect(lines[0]).toBe('id,rule,severity,practice,status,opened_at,summary,case')
    expect(lines).toHaveLength(2)
    expect(lines[1]).toContain('Marketing disclosure to Acme')
    expect(lines.join()).not.toContain('Hillside')
    const log = await t.db('access_log').where({ user_id: manager.id, action: 'export' }).first()
    expect(log).toMatchObject({ target: '/findings/list.csv' })
  })

  it('lets a guardian accept a finding with a reason, recorded in its history and the access log', async () => {
    const context = loadContext(t)
    const guardian = await signedInUser(context, 'caldicott_guardian', ['A81001'])
    const { id } = await t.db('findings').where({ subject_key: 'disclosure:1' }).first('id')
    const params = { id: String(id) }
    const page = await (await detailLoader({ request: get(`/findings/${id}`, guardian), params, context })).json()
    expect(page).toMatchObject({
      canDecide: true,
      rule: { title: expect.any(String) },
      finding: { summary: 'Marketing disclosure to Acme' },
    })

    const missing = await respond(() =>
      decide({ request: post(`/findings/${id}`, guardian, { status: 'accepted', reason: ' ' }), params, context }),
    )
    expect(missing.status).toBe(400)
    const ok = await respond(() =>
      decide({
        request: post(`/findings/${id}`, guardian, { status: 'accepted', reason: 'Marketing consent was explicit' }),
        params,
        context,
      }),
    )
    expect(ok.status).toBe(200)
    expect(await t.db('findings').where({ id }).first()).toMatchObject({ status: 'accepted' })
    expect(await t.db('finding_events').where({ finding_id: id }).first()).toMatchObject({
      from_status: 'open',
      to_status: 'accepted',
      by_user_id: guardian.id,
      reason: 'Marketing consent was explicit',
    })
    expect(await t.db('access_log').where({ user_id: guardian.id, action: 'finding_status' }).first()).toMatchObject({
      target: `finding:${id}`,
    })
  })

  it('refuses auditors, forged forms and findings of other practices', async () => {
    const context = loadContext(t)
    const auditor = await signedInUser(context, 'auditor', ['A81001'])
    const manager = await signedInUser(context, 'practice_manager', ['A81001'])
    const mine = (await t.db('findings').where({ subject_key: 'override:2' }).first('id')).id
    const theirs = (await t.db('findings').where({ subject_key: 'disclosure:9' }).first('id')).id
    const fields = { status: 'open', reason: 'reopen' }
    expect(
      (await respond(() => decide({ request: post(`/findings/${mine}`, auditor, fields), params: { id: String(mine) }, context }))).status,
    ).toBe(403)
    expect(
      (
        await respond(() =>
          decide({ request: post(`/findings/${mine}`, manager, fields, { csrf: null }), params: { id: String(mine) }, context }),
        )
      ).status,
    ).toBe(403)
    expect(
      (await respond(() => decide({ request: post(`/findings/${theirs}`, manager, fields), params: { id: String(theirs) }, context })))
        .status,
    ).toBe(404)
    expect(
      (await respond(() => detailLoader({ request: get(`/findings/${theirs}`, manager), params: { id: String(theirs) }, context }))).status,
    ).toBe(404)
    expect(await t.db('findings').where({ id: mine }).first()).toMatchObject({ status: 'resolved' })
  })
})
