import type { AppLoadContext } from '@remix-run/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describeCron } from '../../../app/lib/jobs.server.js'
import { loader as jobsLoader } from '../../../app/routes/jobs._index.js'
import { loader as runsCsvLoader } from '../../../app/routes/jobs[.]csv.js'
import { loader as quarantineCsvLoader } from '../../../app/routes/jobs.quarantine[.]csv.js'
import { loader as quarantineLoader } from '../../../app/routes/jobs.quarantine.$id.js'
import { action as runNowAction } from '../../../app/routes/jobs.sources.$id.run.js'
import { addRunCounts, finishRun, startRun, type RunCounts } from '../../../db/queries/job-runs.js'
import { ensurePractice } from '../../../db/queries/practices.js'
import { quarantineRecords } from '../../../db/queries/records.js'
import { addSource, type SourceRow } from '../../../db/queries/sources.js'
import { createJobLocks } from '../../../jobs/locks.js'
import { startSimulator, type RunningSimulator } from '../../../simulator/server.js'
import { get, loadContext, post, respond, signedInUser, type TestUser } from '../../support/app.js'
import { useTestDatabase } from '../../support/db.js'

const t = useTestDatabase()
const context = (): AppLoadContext => loadContext(t)

/** A valid NHS number (modulus 11) that must never reach anyone but an administrator. */
const NHS_NUMBER = '9434765919'

let sim: RunningSimulator
let guardian: TestUser
let manager: TestUser
let auditor: TestUser
let admin: TestUser
let managerB: TestUser
const ids = {} as {
  riverside: SourceRow
  silentSource: SourceRow
  disabled: SourceRow
  ndop: SourceRow
  hillside: SourceRow
  completedRun: number
  failedRun: number
  ndopRun: number
  hillsideRun: number
  oldRun: number
  quarantineA: number
  quarantineB: number
}

async function recordRun(
  source: SourceRow,
  job: string,
  counts: RunCounts,
  status: 'completed' | 'failed',
  error: string | null = null,
  trigger: 'schedule' | 'manual' = 'schedule',
) {
  const run = await startRun(t.db, { jobName: job, sourceId: source.id, trigger, lockedBy: 'test' })
  await addRunCounts(t.db, run.id, counts)
  await finishRun(t.db, run.id, status, error)
  return run.id
}

beforeAll(async () => {
  sim = await startSimulator({ port: 0, practices: 1, days: 4, seed: 11 })
  const a = await ensurePractice(t.db, { odsCode: 'A81001', name: 'Riverside Surgery' })
  const b = await ensurePractice(t.db, { odsCode: 'B82002', name: 'Hillside Practice' })
  await t.db('practices').where({ id: a.id }).update({ name: 'Riverside Surgery' })
  await t.db('practices').where({ id: b.id }).update({ name: 'Hillside Practice' })
  ids.riverside = await addSource(t.db, {
    practiceId: a.id,
    kind: 'fhir',
    name: 'Riverside FHIR',
    baseUrl: sim.practices[0]!.fhirBaseUrl,
    expectedIntervalMinutes: 60,
  })
  ids.silentSource = await addSource(t.db, {
    practiceId: a.id,
    kind: 'fhir',
    name: 'Riverside old system',
    baseUrl: 'http://127.0.0.1:9/fhir',
    expectedIntervalMinutes: 60,
  })
  ids.disabled = await addSource(t.db, {
    practiceId: a.id,
    kind: 'fhir',
    name: 'Riverside retired',
    baseUrl: 'http://127.0.0.1:8/fhir',
    expectedIntervalMinutes: 60,
  })
  await t.db('sources').where({ id: ids.disabled.id }).update({ enabled: false })
  ids.ndop = await addSource(t.db, { practiceId: null, kind: 'ndop_csv', name: 'NDOP publication', expectedIntervalMinutes: 60 * 24 * 400 })
  ids.hillside = await addSource(t.db, { practiceId: b.id, kind: 'fhir', name: 'Hillside FHIR', baseUrl: 'http://127.0.0.1:7/fhir' })

  ids.completedRun = await recordRun(
    ids.riverside,
    'collect',
    { read: 12, inserted: 9, updated: 1, duplicates: 1, quarantined: 1 },
    'completed',
  )
  ids.failedRun = await recordRun(
    ids.riverside,
    'collect',
    { read: 3, inserted: 3, updated: 0, duplicates: 0, quarantined: 0 },
    'failed',
    'HTTP 503 from the practice system after 3 attempts',
  )
  ids.ndopRun = await recordRun(ids.ndop, 'import-ndop', { read: 6, inserted: 6, updated: 0, duplicates: 0, quarantined: 0 }, 'completed')
  ids.hillsideRun = await recordRun(
    ids.hillside,
    'collect',
    { read: 99, inserted: 99, updated: 0, duplicates: 0, quarantined: 0 },
    'completed',
  )
  // The old system last delivered three hours ago, three times its expected interval.
  ids.oldRun = await recordRun(
    ids.silentSource,
    'collect',
    { read: 1, inserted: 1, updated: 0, duplicates: 0, quarantined: 0 },
    'completed',
  )
  await t
    .db('job_runs')
    .where({ id: ids.oldRun })
    .update({ started_at: t.db.raw(`now() - interval '3 hours 5 minutes'`), finished_at: t.db.raw(`now() - interval '3 hours'`) })

  await quarantineRecords(t.db, [
    {
      sourceId: ids.riverside.id,
      recordKey: 'AuditEvent/ae-unknown-1',
      resourceType: 'AuditEvent',
      reason: 'AuditEvent has no purposeOfEvent code that maps to a known purpose (got v3-ActReason#XYZZY)',
      payload: {
        resourceType: 'AuditEvent',
        id: 'ae-unknown-1',
        entity: [{ what: { identifier: { system: 'https://fhir.nhs.uk/Id/nhs-number', value: NHS_NUMBER } } }],
      },
      runId: ids.completedRun,
    },
    {
      sourceId: ids.hillside.id,
      recordKey: 'Consent/hill-1',
      resourceType: 'Consent',
      reason: 'Consent names no patient (Hillside)',
      payload: { resourceType: 'Consent', id: 'hill-1' },
      runId: ids.hillsideRun,
    },
  ])
  ids.quarantineA = (await t.db('quarantine').where({ record_key: 'AuditEvent/ae-unknown-1' }).first('id')).id
  ids.quarantineB = (await t.db('quarantine').where({ record_key: 'Consent/hill-1' }).first('id')).id

  guardian = await signedInUser(context(), 'caldicott_guardian', ['A81001'])
  manager = await signedInUser(context(), 'practice_manager', ['A81001'])
  auditor = await signedInUser(context(), 'auditor', ['A81001'])
  admin = await signedInUser(context(), 'admin', [])
  managerB = await signedInUser(context(), 'practice_manager', ['B82002'])
})

afterAll(async () => {
  await sim?.close()
})

async function jobsPage(query = '', user: TestUser = guardian, ctx: AppLoadContext = context()) {
  const response = await respond(() => jobsLoader({ request: get(`/jobs${query}`, user), params: {}, context: ctx }))
  if (response.status !== 200) throw new Error(`/jobs${query} answered ${response.status}: ${await response.text()}`)
  return response.json()
}

async function status(fn: () => Promise<unknown>): Promise<number> {
  return (await respond(fn)).status
}

function runNow(sourceId: number, user: TestUser, opts: { csrf?: string | null; origin?: string } = {}) {
  return respond(() =>
    runNowAction({ request: post(`/jobs/sources/${sourceId}/run`, user, {}, opts), params: { id: String(sourceId) }, context: context() }),
  )
}

async function waitForRun(runId: number, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const run = await t.db('job_runs').where({ id: runId }).first()
    if (run && run.status !== 'active') return run
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${run?.status} after ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe('/jobs', () => {
  it('lists the scheduled jobs with their cron expressions, in words where simple', async () => {
    const data = await jobsPage()
    expect(data.schedules).toEqual([
      expect.objectContaining({
        name: 'collect',
        expression: '*/15 * * * *',
        description: 'every 15 minutes',
        timezone: 'Europe/London',
        enabled: false,
        nextRun: null,
      }),
      expect.objectContaining({
        name: 'import-inbox',
        expression: '5 * * * *',
        description: 'every hour at 5 minutes past',
        enabled: false,
        nextRun: null,
      }),
      expect.objectContaining({
        name: 'ledger-integrity',
        expression: '30 2 * * *',
        description: 'every day at 02:30',
        enabled: false,
        nextRun: null,
        lastRun: null,
      }),
    ])
    expect(data.schedules[0].lastRun).toMatchObject({ id: ids.oldRun, status: 'completed' })
    expect(data.schedules[1].lastRun).toMatchObject({ id: ids.ndopRun, status: 'completed' })

    // With the scheduler on in this server, the next run is when node-cron would fire.
    const base = context()
    const on = { ...base, config: { ...base.config, schedules: { ...base.config.schedules, enabled: true } } }
    const withScheduler = await jobsPage('', guardian, on)
    const next = new Date(withScheduler.schedules[0].nextRun)
    expect(next.getTime()).toBeGreaterThan(Date.now())
    expect(next.getTime() - Date.now()).toBeLessThanOrEqual(15 * 60_000)
    expect(next.getUTCMinutes() % 15).toBe(0)
  })

  it('describes simple cron expressions in words and leaves the rest as they are', () => {
    expect(describeCron('* * * * *')).toBe('every minute')
    expect(describeCron('0 * * * *')).toBe('every hour, on the hour')
    expect(describeCron('30 2 * * *')).toBe('every day at 02:30')
    expect(describeCron('0 */6 * * *')).toBe('every 6 hours at 0 minutes past')
    expect(describeCron('0 9 * * 1-5')).toBeNull()
    expect(describeCron('*/10 * * * * *')).toBeNull()
  })

  it('shows each source of the viewer’s practices, and the national one, with its health', async () => {
    const data = await jobsPage()
    const byName = Object.fromEntries(data.sources.map((s: { name: string }) => [s.name, s]))
    expect(Object.keys(byName).sort()).toEqual(['NDOP publication', 'Riverside FHIR', 'Riverside old system', 'Riverside retired'])
    expect(byName['Riverside FHIR']).toMatchObject({
      lastRunId: ids.failedRun,
      lastRunStatus: 'failed',
      lastRunError: 'HTTP 503 from the practice system after 3 attempts',
      silent: false,
      practiceOds: 'A81001',
    })
    expect(byName['Riverside FHIR'].lastSuccessAt).not.toBeNull()
    // No successful run for 3 hours against an expected hour: silent.
    expect(byName['Riverside old system']).toMatchObject({ silent: true, expectedIntervalMinutes: 60 })
    // A disabled source is not expected to deliver.
    expect(byName['Riverside retired']).toMatchObject({ silent: false, enabled: false, lastRunId: null })
    expect(byName['NDOP publication']).toMatchObject({ practiceOds: null, silent: false })
    expect(JSON.stringify(data)).not.toContain('Hillside')
  })

  it('shows the run history with its counts, newest first, and filters it', async () => {
    const data = await jobsPage()
    expect(data.runs.rows.map((r: { id: number }) => r.id)).not.toContain(ids.hillsideRun)
    expect(data.runs.total).toBe(4)
    const completed = data.runs.rows.find((r: { id: number }) => r.id === ids.completedRun)
    expect(completed).toMatchObject({
      jobName: 'collect',
      sourceName: 'Riverside FHIR',
      practiceOds: 'A81001',
      trigger: 'schedule',
      status: 'completed',
      readCount: 12,
      insertedCount: 9,
      updatedCount: 1,
      duplicateCount: 1,
      quarantinedCount: 1,
      error: null,
    })
    const ordered = data.runs.rows.map((r: { id: number }) => r.id)
    expect(ordered).toEqual([...ordered].sort((x: number, y: number) => y - x))

    expect((await jobsPage('?status=failed')).runs.rows).toEqual([
      expect.objectContaining({ id: ids.failedRun, error: 'HTTP 503 from the practice system after 3 attempts' }),
    ])
    expect((await jobsPage('?job=import-ndop')).runs.rows.map((r: { id: number }) => r.id)).toEqual([ids.ndopRun])
    expect((await jobsPage(`?source=${ids.riverside.id}`)).runs.total).toBe(2)
    expect((await jobsPage('?from=2020-01-01&to=2020-01-31')).runs.total).toBe(0)
    expect((await jobsPage()).jobNames).toEqual(['collect', 'import-ndop'])
  })

  it('pages through a long run history', async () => {
    const pager = await addSource(t.db, {
      practiceId: (await ensurePractice(t.db, { odsCode: 'A81001' })).id,
      kind: 'fhir',
      name: 'Riverside busy',
      baseUrl: 'http://127.0.0.1:6/fhir',
    })
    const created: number[] = []
    for (let i = 0; i < 30; i++)
      created.push(await recordRun(pager, 'collect', { read: i, inserted: i, updated: 0, duplicates: 0, quarantined: 0 }, 'completed'))
    const first = await jobsPage(`?source=${pager.id}`)
    expect(first.runs).toMatchObject({ total: 30, page: 1, pageSize: 25 })
    expect(first.runs.rows).toHaveLength(25)
    expect(first.runs.rows[0].id).toBe(created[29])
    const second = await jobsPage(`?source=${pager.id}&page=2`)
    expect(second.runs.rows.map((r: { id: number }) => r.id)).toEqual(created.slice(0, 5).reverse())
    await t.db('job_runs').where({ source_id: pager.id }).delete()
    await t.db('sources').where({ id: pager.id }).delete()
  })

  it('answers bad filters with 400 and another practice’s source with 404', async () => {
    expect(await status(() => jobsLoader({ request: get('/jobs?status=exploded', guardian), params: {}, context: context() }))).toBe(400)
    expect(await status(() => jobsLoader({ request: get('/jobs?page=0', guardian), params: {}, context: context() }))).toBe(400)
    expect(
      await status(() => jobsLoader({ request: get(`/jobs?source=${ids.hillside.id}`, guardian), params: {}, context: context() })),
    ).toBe(404)
    expect(await status(() => jobsLoader({ request: get('/jobs?practice=B82002', guardian), params: {}, context: context() }))).toBe(404)
  })

  it('lists the quarantine with reason and record key, and never a payload in the list', async () => {
    const data = await jobsPage()
    expect(data.quarantine.total).toBe(1)
    expect(data.quarantine.rows).toEqual([
      expect.objectContaining({
        id: ids.quarantineA,
        recordKey: 'AuditEvent/ae-unknown-1',
        resourceType: 'AuditEvent',
        reason: expect.stringContaining('XYZZY'),
        sourceName: 'Riverside FHIR',
        firstRunId: ids.completedRun,
        lastRunId: ids.completedRun,
      }),
    ])
    expect(JSON.stringify(data)).not.toContain(NHS_NUMBER)
    expect(JSON.stringify(await jobsPage('', admin))).not.toContain(NHS_NUMBER)
    expect(data.canSeePayload).toBe(false)
  })

  it('shows the raw payload on the detail page to administrators only, and logs each view', async () => {
    const detail = (user: TestUser, id = ids.quarantineA) =>
      respond(() => quarantineLoader({ request: get(`/jobs/quarantine/${id}`, user), params: { id: String(id) }, context: context() }))
    for (const user of [guardian, manager, auditor]) {
      const response = await detail(user)
      expect(response.status).toBe(200)
      const body = await response.text()
      expect(body).toContain('XYZZY')
      expect(body).toContain('AuditEvent/ae-unknown-1')
      expect(body).not.toContain(NHS_NUMBER)
      expect(JSON.parse(body).payload).toBeNull()
    }
    const asAdmin = await (await detail(admin)).json()
    expect(asAdmin.payload).toContain(NHS_NUMBER)
    expect(asAdmin.entry).toMatchObject({ status: 'pending', practiceOds: 'A81001' })
    expect(await t.db('access_log').where({ user_id: admin.id, action: 'view_quarantine_payload' }).first()).toMatchObject({
      target: `quarantine:${ids.quarantineA}`,
    })
    expect(await t.db('access_log').where({ user_id: guardian.id, action: 'view_quarantine_payload' }).first()).toBeUndefined()

    // Another practice's quarantine entry does not exist for this viewer; nor does a made-up one.
    expect((await detail(guardian, ids.quarantineB)).status).toBe(404)
    expect((await detail(guardian, 999_999)).status).toBe(404)
    expect(
      (await respond(() => quarantineLoader({ request: get('/jobs/quarantine/abc', guardian), params: { id: 'abc' }, context: context() })))
        .status,
    ).toBe(404)
  })

  it('starts a collection for a practice manager with Run now, in the background, and logs it', async () => {
    const response = await runNow(ids.riverside.id, manager)
    expect(response.status).toBe(302)
    const location = new URL(response.headers.get('Location')!, 'http://ledger.test')
    expect(location.pathname).toBe('/jobs')
    expect(location.searchParams.get('notice')).toBe('started')
    const runId = Number(location.searchParams.get('noticeRun'))
    expect(runId).toBeGreaterThan(ids.hillsideRun)

    const page = await jobsPage(location.search, manager)
    expect(page.notice).toEqual({ kind: 'started', runId, sourceName: 'Riverside FHIR' })
    expect(page.canRunNow).toBe(true)

    const run = await waitForRun(runId)
    expect(run).toMatchObject({ job_name: 'collect', source_id: ids.riverside.id, trigger: 'manual', status: 'completed', error: null })
    expect(run.inserted_count).toBeGreaterThan(50)
    expect(Number((await t.db('disclosures').where({ source_id: ids.riverside.id }).count('* as n').first())!.n)).toBeGreaterThan(0)

    const log = await t.db('access_log').where({ user_id: manager.id, action: 'run_now' }).first()
    expect(log).toMatchObject({ target: `source:${ids.riverside.id}`, outcome: 'ok', practice_id: ids.riverside.practice_id })
    expect(log.detail).toEqual({ result: 'started', runId })
    const after = await jobsPage(`?source=${ids.riverside.id}`, manager)
    expect(after.runs.rows[0]).toMatchObject({ id: runId, status: 'completed', trigger: 'manual' })
  })

  it('says "already running" when the source is being collected elsewhere', async () => {
    // Another runner process holds this source's lock (the same advisory lock runJob takes).
    const locks = createJobLocks({ kind: 'postgres', url: t.url })
    const release = await locks.tryAcquire(`collect:${ids.riverside.id}`)
    expect(release).not.toBeNull()
    const before = Number((await t.db('job_runs').count('* as n').first())!.n)
    try {
      const response = await runNow(ids.riverside.id, admin)
      expect(response.status).toBe(302)
      const location = new URL(response.headers.get('Location')!, 'http://ledger.test')
      expect(location.searchParams.get('notice')).toBe('running')
      expect((await jobsPage(location.search, admin)).notice).toEqual({ kind: 'running', runId: null, sourceName: 'Riverside FHIR' })
    } finally {
      await release!()
    }
    expect(Number((await t.db('job_runs').count('* as n').first())!.n)).toBe(before)
    expect((await t.db('access_log').where({ user_id: admin.id, action: 'run_now' }).first()).detail).toEqual({ result: 'already running' })
  })

  it('refuses Run now to other roles (403), without the form token or from another site (403)', async () => {
    for (const user of [guardian, auditor]) {
      expect((await runNow(ids.riverside.id, user)).status).toBe(403)
      expect(await t.db('access_log').where({ user_id: user.id, action: 'forbidden' }).first()).toMatchObject({
        outcome: 'denied',
        target: `/jobs/sources/${ids.riverside.id}/run`,
      })
    }
    expect((await jobsPage('', guardian)).canRunNow).toBe(false)
    expect((await runNow(ids.riverside.id, manager, { csrf: null })).status).toBe(403)
    expect((await runNow(ids.riverside.id, manager, { csrf: 'forged-token-of-the-same-length-xxxxx' })).status).toBe(403)
    expect((await runNow(ids.riverside.id, manager, { origin: 'https://evil.example' })).status).toBe(403)
    expect(await t.db('access_log').where({ user_id: manager.id, action: 'csrf_refused' }).count('* as n').first()).toEqual({ n: 3 })
    // Not signed in: to the sign-in page.
    const anonymous = await respond(() =>
      runNowAction({
        request: post(`/jobs/sources/${ids.riverside.id}/run`, undefined, {}),
        params: { id: String(ids.riverside.id) },
        context: context(),
      }),
    )
    expect(anonymous.status).toBe(302)
    expect(anonymous.headers.get('Location')).toMatch(/^\/login/)
  })

  it('keeps Run now to the viewer’s own FHIR sources that are enabled', async () => {
    expect((await runNow(ids.hillside.id, manager)).status).toBe(404)
    expect((await runNow(999_999, manager)).status).toBe(404)
    expect((await runNow(ids.riverside.id, managerB)).status).toBe(404)
    const ndop = await runNow(ids.ndop.id, manager)
    expect(ndop.status).toBe(400)
    expect(await ndop.text()).toMatch(/Only practice-system \(FHIR\) sources/)
    const disabled = await runNow(ids.disabled.id, manager)
    expect(disabled.status).toBe(400)
    expect(await disabled.text()).toMatch(/is disabled/)
    expect(await t.db('job_runs').where({ source_id: ids.hillside.id }).count('* as n').first()).toEqual({ n: 1 })
  })

  it('exports the run history as CSV with the same filters, and logs the export', async () => {
    const response = await respond(() =>
      runsCsvLoader({ request: get('/jobs.csv?status=failed', auditor), params: {}, context: context() }),
    )
    expect(response.status).toBe(200)
    expect(response.headers.get('Content-Type')).toContain('text/csv')
    const lines = (await response.text()).trim().split('\r\n')
    expect(lines[0]).toBe(
      'run,job,source_id,source,practice,trigger,status,started_at,finished_at,read,inserted,updated,duplicates,quarantined,error',
    )
    expect(lines).toHaveLength(2)
    expect(lines[1]).toMatch(
      new RegExp(
        `^${ids.failedRun},collect,${ids.riverside.id},Riverside FHIR,A81001,schedule,failed,.+,3,3,0,0,0,HTTP 503 from the practice system after 3 attempts$`,
      ),
    )
    const all = await (await respond(() => runsCsvLoader({ request: get('/jobs.csv', auditor), params: {}, context: context() }))).text()
    expect(all).not.toContain('Hillside')
    expect(all).toContain('NDOP publication')
    expect(await t.db('access_log').where({ user_id: auditor.id, action: 'export', target: '/jobs.csv' }).count('* as n').first()).toEqual({
      n: 2,
    })
    expect(
      (await respond(() => runsCsvLoader({ request: get(`/jobs.csv?source=${ids.hillside.id}`, auditor), params: {}, context: context() })))
        .status,
    ).toBe(404)
  })

  it('exports the quarantine as CSV without payloads', async () => {
    const response = await respond(() =>
      quarantineCsvLoader({ request: get('/jobs/quarantine.csv', admin), params: {}, context: context() }),
    )
    const text = await response.text()
    expect(text.split('\r\n')[0]).toBe(
      'id,source_id,source,practice,record_key,resource_type,reason,first_run,last_run,first_seen_at,last_seen_at',
    )
    expect(text).toContain('AuditEvent/ae-unknown-1')
    expect(text).not.toContain(NHS_NUMBER)
    const mine = await (
      await respond(() => quarantineCsvLoader({ request: get('/jobs/quarantine.csv', guardian), params: {}, context: context() }))
    ).text()
    expect(mine).not.toContain('hill-1')
  })
})
