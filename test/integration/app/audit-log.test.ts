import type { AppLoadContext } from '@remix-run/node'
import { beforeAll, describe, expect, it } from 'vitest'
import * as auditLogRoute from '../../../app/routes/audit-log._index.js'
import { loader as csvLoader } from '../../../app/routes/audit-log[.]csv.js'
import { ensurePractice } from '../../../db/queries/practices.js'
import { get, loadContext, respond, signedInUser, type TestUser } from '../../support/app.js'
import { useTestDatabase } from '../../support/db.js'

const t = useTestDatabase()
const context = (): AppLoadContext => loadContext(t)
const { loader } = auditLogRoute

let auditor: TestUser
let admin: TestUser
let guardian: TestUser
let manager: TestUser
const e: Record<string, number> = {}
const MARCH = 'from=2026-03-01&to=2026-03-31'

// An entry concerns the practices it names (practice_ids); none named means system-wide.
async function entry(
  name: string,
  row: { at: string; actor: string; action: string; outcome?: string; practice_ids: number[]; target?: string; detail?: object },
) {
  const [inserted] = await t
    .db('access_log')
    .insert({
      ...row,
      practice_id: row.practice_ids.length === 1 ? row.practice_ids[0] : null,
      outcome: row.outcome ?? 'ok',
      detail: row.detail ? JSON.stringify(row.detail) : null,
      ip: '10.0.0.1',
    })
    .returning('id')
  e[name] = inserted.id
}

beforeAll(async () => {
  const a = await ensurePractice(t.db, { odsCode: 'A81001', name: 'Riverside' })
  const b = await ensurePractice(t.db, { odsCode: 'B82002', name: 'Hillside' })
  await entry('exportA', {
    at: '2026-03-01T10:00:00Z',
    actor: 'pm@riverside.nhs.uk',
    action: 'export',
    practice_ids: [a.id],
    target: '/disclosures.csv',
    detail: { rows: 12 },
  })
  await entry('exportB', {
    at: '2026-03-02T10:00:00Z',
    actor: 'pm@hillside.nhs.uk',
    action: 'export',
    practice_ids: [b.id],
    target: '/disclosures.csv',
  })
  await entry('signInFailed', {
    at: '2026-03-03T10:00:00Z',
    actor: 'mallory_x@example.com',
    action: 'sign_in',
    outcome: 'failed',
    practice_ids: [],
    detail: { reason: 'wrong password' },
  })
  await entry('review', {
    at: '2026-03-04T10:00:00Z',
    actor: 'guardian@riverside.nhs.uk',
    action: 'override_review',
    practice_ids: [a.id],
    target: 'override:7',
  })
  // 23:30 UTC on 31 March is 00:30 on 1 April in England: outside March.
  await entry('lateNight', { at: '2026-03-31T23:30:00Z', actor: 'pm@riverside.nhs.uk', action: 'export', practice_ids: [a.id] })
  auditor = await signedInUser(context(), 'auditor', ['A81001'])
  admin = await signedInUser(context(), 'admin', [])
  guardian = await signedInUser(context(), 'caldicott_guardian', ['A81001'])
  manager = await signedInUser(context(), 'practice_manager', ['A81001'])
})

async function page(query: string, user: TestUser = auditor) {
  const response = await respond(() => loader({ request: get(`/audit-log?${query}`, user), params: {}, context: context() }))
  if (response.status !== 200) throw new Error(`/audit-log?${query} answered ${response.status}: ${await response.text()}`)
  return response.json()
}

const idsOf = (data: { entries: { rows: Array<{ id: number }> } }) => data.entries.rows.map((r) => r.id)

describe('/audit-log', () => {
  it('is for auditors, Caldicott guardians and administrators only', async () => {
    for (const user of [manager]) {
      const response = await respond(() => loader({ request: get('/audit-log', user), params: {}, context: context() }))
      expect(response.status).toBe(403)
      expect(await response.text()).toMatch(/cannot do this/)
      expect((await respond(() => csvLoader({ request: get('/audit-log.csv', user), params: {}, context: context() }))).status).toBe(403)
    }
    expect((await respond(() => loader({ request: get('/audit-log'), params: {}, context: context() }))).status).toBe(302)
    expect(await t.db('access_log').where({ user_id: manager.id, action: 'forbidden', target: '/audit-log' }).first()).toBeDefined()
  })

  it('is read-only: the route has no action, and the table refuses changes', async () => {
    expect('action' in auditLogRoute).toBe(false)
    await expect(t.db('access_log').where({ id: e.exportA }).update({ actor: 'someone else' })).rejects.toThrow(/append-only/)
    await expect(t.db('access_log').where({ id: e.exportA }).delete()).rejects.toThrow(/append-only/)
  })

  it('shows an auditor or guardian their practices’ entries only, newest first; an administrator everything', async () => {
    expect(idsOf(await page(MARCH))).toEqual([e.review, e.exportA])
    expect(idsOf(await page(MARCH, guardian))).toEqual([e.review, e.exportA])
    expect(idsOf(await page(MARCH, admin))).toEqual([e.review, e.signInFailed, e.exportB, e.exportA])
    const data = await page(MARCH)
    expect(data.entries.rows[1]).toMatchObject({
      actor: 'pm@riverside.nhs.uk',
      action: 'export',
      outcome: 'ok',
      practiceOds: 'A81001',
      target: '/disclosures.csv',
      ip: '10.0.0.1',
      detail: '{"rows":12}',
    })
    expect(JSON.stringify(data)).not.toContain('hillside')
    // Narrowed to a practice: only that practice's entries; another practice is a 404.
    expect(idsOf(await page(`${MARCH}&practice=A81001`))).toEqual([e.review, e.exportA])
    expect(
      (await respond(() => loader({ request: get('/audit-log?practice=B82002', auditor), params: {}, context: context() }))).status,
    ).toBe(404)
  })

  it('filters by action, user, outcome and dates (days in England)', async () => {
    expect(idsOf(await page(`${MARCH}&action=export`, admin))).toEqual([e.exportB, e.exportA])
    expect(idsOf(await page(`${MARCH}&outcome=failed`, admin))).toEqual([e.signInFailed])
    expect(idsOf(await page(`${MARCH}&outcome=failed`))).toEqual([])
    expect(idsOf(await page(`${MARCH}&actor=HILLSIDE`, admin))).toEqual([e.exportB])
    expect(idsOf(await page(`${MARCH}&actor=riverside`))).toEqual([e.review, e.exportA])
    // LIKE wildcards in the search are taken literally: "_" matches only an underscore.
    expect(idsOf(await page(`${MARCH}&actor=mallory_`, admin))).toEqual([e.signInFailed])
    expect(idsOf(await page(`${MARCH}&actor=pm_`, admin))).toEqual([])
    expect(idsOf(await page(`${MARCH}&actor=%25`))).toEqual([])
    expect(idsOf(await page('from=2026-03-02&to=2026-03-03', admin))).toEqual([e.signInFailed, e.exportB])
    expect(idsOf(await page('from=2026-04-01&to=2026-04-01'))).toEqual([e.lateNight])
    const data = await page(MARCH)
    expect(data.actions).toEqual(expect.arrayContaining(['export', 'forbidden', 'override_review']))
    for (const bad of ['outcome=maybe', 'page=-1', 'action=DROP%20TABLE']) {
      expect((await respond(() => loader({ request: get(`/audit-log?${bad}`, auditor), params: {}, context: context() }))).status).toBe(400)
    }
    // A bad period keeps the page (the filter bar says it at the field).
    expect(
      (await respond(() => loader({ request: get('/audit-log?from=2026-02-30', auditor), params: {}, context: context() }))).status,
    ).toBe(200)
  })

  it('pages through long logs, 50 entries a page', async () => {
    const rows = Array.from({ length: 60 }, (_, i) => ({
      at: `2026-05-01T10:${String(i).padStart(2, '0')}:00Z`,
      actor: 'bulk@example.nhs.uk',
      action: 'export',
      outcome: 'ok',
      practice_id: null,
      practice_ids: [],
    }))
    const inserted: Array<{ id: number }> = await t.db('access_log').insert(rows).returning('id')
    const first = await page('from=2026-05-01&to=2026-05-01', admin)
    expect(first.entries).toMatchObject({ total: 60, page: 1, pageSize: 50 })
    expect(idsOf(first)[0]).toBe(inserted[59]!.id)
    const second = await page('from=2026-05-01&to=2026-05-01&page=2', admin)
    expect(idsOf(second)).toEqual(
      inserted
        .slice(0, 10)
        .map((r) => r.id)
        .reverse(),
    )
  })

  it('exports the filtered log as CSV, and records the export in the log', async () => {
    const response = await respond(() => csvLoader({ request: get(`/audit-log.csv?${MARCH}`, auditor), params: {}, context: context() }))
    expect(response.status).toBe(200)
    expect(response.headers.get('Content-Type')).toContain('text/csv')
    const lines = (await response.text()).trim().split('\r\n')
    expect(lines[0]).toBe('id,at,user_id,actor,action,outcome,practice,target,ip,detail')
    expect(lines.slice(1).map((l) => Number(l.split(',')[0]))).toEqual([e.review, e.exportA])
    expect(lines[2]).toContain('"{""rows"":12}"')
    expect(lines.join('\n')).not.toContain('hillside')
    const logged = await t.db('access_log').where({ user_id: auditor.id, action: 'export', target: '/audit-log.csv' }).first()
    expect(logged.detail).toEqual({ filters: { from: '2026-03-01', to: '2026-03-31' }, rows: 2 })
    expect(logged.practice_ids).toEqual([(await t.db('practices').where({ ods_code: 'A81001' }).first()).id])
    // The export is itself an entry an auditor can read.
    const today = new Date().toISOString().slice(0, 10)
    expect(idsOf(await page(`action=export&from=${today}`))).toContain(logged.id)
  })

  it('scopes entries about several practices, and system-wide ones, as the issue asks (finding 7)', async () => {
    const [a, b] = await Promise.all([
      t.db('practices').where({ ods_code: 'A81001' }).first(),
      t.db('practices').where({ ods_code: 'B82002' }).first(),
    ])
    await entry('both', { at: '2026-06-02T10:00:00Z', actor: 'admin@example.nhs.uk', action: 'agreement_add', practice_ids: [a.id, b.id] })
    await entry('onlyB', { at: '2026-06-03T10:00:00Z', actor: 'pm@hillside.nhs.uk', action: 'export', practice_ids: [b.id] })
    await entry('userChange', { at: '2026-06-04T10:00:00Z', actor: 'admin@example.nhs.uk', action: 'user_add', practice_ids: [] })
    const JUNE = 'from=2026-06-01&to=2026-06-30'
    expect(idsOf(await page(JUNE))).toEqual([e.both])
    expect(idsOf(await page(JUNE, admin))).toEqual([e.userChange, e.onlyB, e.both])
    expect((await page(JUNE)).entries.rows[0].practiceOds).toBe('A81001 B82002')
  })
})
