import type { ParsedMail } from 'mailparser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { action, loader } from '../../../app/routes/reports.schedules.js'
import { latestDueMinute, periodOf, scheduleCronProblem } from '../../../core/report-schedules.js'
import { ensurePractice } from '../../../db/queries/practices.js'
import type { RunnerDeps } from '../../../jobs/runner.js'
import { runDueReportSchedules } from '../../../jobs/scheduled-reports.js'
import { produceScheduledReport } from '../../../reports/scheduled.js'
import { get, loadContext, post, respond, signedInUser, type TestUser } from '../../support/app.js'
import { testConfig } from '../../support/config.js'
import { useTestDatabase } from '../../support/db.js'
import { startTestSmtp, type TestSmtp } from '../../support/smtp.js'

const t = useTestDatabase()
const PUBLIC_URL = 'https://ledger.example.nhs.uk'
let smtp: TestSmtp
const users = {} as Record<'managerA' | 'auditorA' | 'guardianB' | 'adminAll' | 'managerB', TestUser>
const context = () => loadContext(t)
const deps = (): RunnerDeps => ({
  db: t.db,
  target: { kind: 'postgres', url: t.url },
  config: { ...testConfig(t.url), publicUrl: PUBLIC_URL, mail: { smtpUrl: smtp.url, from: 'ledger@example.nhs.uk' } },
  log: () => {},
})
const to = (m: ParsedMail) => (Array.isArray(m.to) ? m.to : [m.to]).flatMap((a) => a?.value.map((v) => v.address) ?? [])

beforeAll(async () => {
  smtp = await startTestSmtp()
  await ensurePractice(t.db, { odsCode: 'A81001', name: 'Riverside Surgery' })
  await ensurePractice(t.db, { odsCode: 'B82002', name: 'Hillside Practice' })
  users.managerA = await signedInUser(context(), 'practice_manager', ['A81001'])
  users.auditorA = await signedInUser(context(), 'auditor', ['A81001'])
  users.guardianB = await signedInUser(context(), 'caldicott_guardian', ['B82002'])
  users.managerB = await signedInUser(context(), 'practice_manager', ['B82002'])
  users.adminAll = await signedInUser(context(), 'admin', [])
})

afterAll(async () => {
  await smtp?.close()
})

const add = (user: TestUser, fields: Record<string, string | string[]>) =>
  respond(() => action({ request: post('/reports/schedules', user, { intent: 'add', ...fields }), params: {}, context: context() }))

describe('schedule rules', () => {
  it('name whole past periods, at most hourly cron expressions, and the latest due minute', () => {
    expect(periodOf('last-quarter', '2026-12-01')).toEqual({ from: '2026-07-01', to: '2026-09-30' })
    expect(periodOf('last-month', '2026-12-01')).toEqual({ from: '2026-11-01', to: '2026-11-30' })
    expect(scheduleCronProblem('0 7 1 * *')).toBeNull()
    expect(scheduleCronProblem('* * * * *')).toMatch(/minute and hour as numbers/)
    expect(scheduleCronProblem('every day')).toMatch(/five fields/)
    const since = new Date('2026-11-30T00:00:00Z')
    expect(latestDueMinute('0 7 1 * *', 'Europe/London', since, new Date('2026-12-01T07:00:40Z'))).toEqual(new Date('2026-12-01T07:00:00Z'))
    expect(latestDueMinute('0 7 1 * *', 'Europe/London', since, new Date('2026-12-01T06:59:00Z'))).toBeNull()
    // British Summer Time: 07:00 in London is 06:00 UTC.
    expect(latestDueMinute('0 7 1 * *', 'Europe/London', new Date('2026-06-30T00:00:00Z'), new Date('2026-07-01T06:30:00Z'))).toEqual(
      new Date('2026-07-01T06:00:00Z'),
    )
  })
})

describe('/reports/schedules', () => {
  it('is for administrators and practice managers', async () => {
    expect(
      (await respond(() => loader({ request: get('/reports/schedules', users.auditorA), params: {}, context: context() }))).status,
    ).toBe(403)
    expect(
      (await respond(() => loader({ request: get('/reports/schedules', users.managerA), params: {}, context: context() }))).status,
    ).toBe(200)
  })

  it('refuses a schedule at its fields: no report, an every-minute cron, a recipient who could not download it', async () => {
    const refused = await add(users.managerA, {
      kind: '',
      practice: 'A81001',
      period: 'last-quarter',
      cron: '* * * * *',
      recipient: [String(users.auditorA.id)],
    })
    expect(refused.status).toBe(400)
    const body = await refused.json()
    expect(Object.keys(body.errors).sort()).toEqual(['cron', 'kind'])
    expect(body.values).toMatchObject({ practice: ['A81001'], cron: '* * * * *' })
    // An auditor cannot download a commissioner report.
    const wrongRole = await (
      await add(users.managerA, {
        kind: 'commissioner',
        practice: 'A81001',
        period: 'last-quarter',
        cron: '0 7 1 * *',
        recipient: [String(users.auditorA.id)],
      })
    ).json()
    expect(wrongRole.errors.recipient).toMatch(/cannot download this report/)
    // Another practice's people are not offered to a manager of A: a forged one is a 404.
    expect(
      (
        await add(users.managerA, {
          kind: 'audit',
          practice: 'A81001',
          period: 'last-quarter',
          cron: '0 7 1 * *',
          recipient: [String(users.guardianB.id)],
        })
      ).status,
    ).toBe(404)
    expect(
      (
        await add(users.managerA, {
          kind: 'audit',
          practice: 'B82002',
          period: 'last-quarter',
          cron: '0 7 1 * *',
          recipient: [String(users.auditorA.id)],
        })
      ).status,
    ).toBe(404)
    expect(Number((await t.db('report_schedules').count('* as n').first())!.n)).toBe(0)
  })

  it('records a schedule, logs it, and lists it only to those who see all its practices', async () => {
    const added = await add(users.managerA, {
      kind: 'audit',
      practice: 'A81001',
      period: 'last-quarter',
      cron: '0 7 1 * *',
      recipient: [String(users.auditorA.id), String(users.managerA.id)],
    })
    expect(added.status).toBe(303)
    expect(added.headers.get('Location')).toBe('/reports/schedules?added=1')
    expect(await t.db('access_log').where({ action: 'report_schedule_add' }).first()).toMatchObject({ user_id: users.managerA.id })
    const page = await (
      await respond(() => loader({ request: get('/reports/schedules', users.managerA), params: {}, context: context() }))
    ).json()
    expect(page.schedules).toEqual([
      expect.objectContaining({
        kind: 'Audit evidence pack',
        practices: ['Riverside Surgery (A81001)'],
        period: 'Last calendar quarter',
        cron: '0 7 1 * *',
      }),
    ])
    const other = await (
      await respond(() => loader({ request: get('/reports/schedules', users.managerB), params: {}, context: context() }))
    ).json()
    expect(other.schedules).toEqual([])
  })
})

describe('the scheduled-report job', () => {
  it('produces the report once when due, records it, and mails each recipient a link (no file)', async () => {
    const schedule = await t.db('report_schedules').first()
    await t
      .db('report_schedules')
      .where({ id: schedule.id })
      .update({ created_at: new Date('2026-11-30T00:00:00Z') })
    const before = smtp.messages.length
    const due = new Date('2026-12-01T07:00:30Z')
    const [summary] = await runDueReportSchedules(deps(), produceScheduledReport, due)
    expect(summary).toMatchObject({ status: 'completed', counts: { read: 2, inserted: 2 } })
    const report = await t
      .db('report_exports')
      .where({ generated_by: `schedule:${schedule.id}` })
      .first()
    expect(report).toMatchObject({ kind: 'audit' })
    expect(JSON.parse(typeof report.params === 'string' ? report.params : JSON.stringify(report.params))).toMatchObject({
      practices: ['A81001'],
      from: '2026-07-01',
      to: '2026-09-30',
    })
    expect(await t.db('report_files').where({ report_id: report.id, chunk: 0 }).first('report_id')).toBeDefined()
    expect(
      await t
        .db('access_log')
        .where({ action: 'report_export', target: `report:${report.id}` })
        .first(),
    ).toMatchObject({ actor: `schedule:${schedule.id}` })
    const mails = smtp.messages.slice(before)
    expect(mails.map((m) => to(m)[0]).sort()).toEqual([users.auditorA.email, users.managerA.email].sort())
    for (const m of mails) {
      expect(m.attachments).toHaveLength(0)
      expect(m.subject).toBe('Sharing Ledger: Audit evidence pack, 1 Jul 2026 to 30 Sept 2026, is ready')
      expect(m.text).toContain(`Sign in and download it: ${PUBLIC_URL}/reports/${report.id}/pdf`)
      expect(m.text).toContain('Riverside Surgery (A81001)')
    }
    expect(
      await t
        .db('job_runs')
        .where({ job_name: `report-schedule-${schedule.id}` })
        .select('status'),
    ).toEqual([{ status: 'completed' }])

    // The same minute again, or later the same day: nothing more.
    expect(await runDueReportSchedules(deps(), produceScheduledReport, due)).toEqual([])
    expect(await runDueReportSchedules(deps(), produceScheduledReport, new Date('2026-12-01T09:00:00Z'))).toEqual([])
    expect(smtp.messages.length).toBe(before + 2)
  })

  it('stops when the schedule is stopped', async () => {
    const schedule = await t.db('report_schedules').first()
    const stopped = await respond(() =>
      action({
        request: post('/reports/schedules', users.managerA, { intent: 'stop', id: String(schedule.id) }),
        params: {},
        context: context(),
      }),
    )
    expect(stopped.status).toBe(303)
    expect(await runDueReportSchedules(deps(), produceScheduledReport, new Date('2027-01-01T07:00:10Z'))).toEqual([])
  })
})

describe('a scheduled annual Caldicott report', () => {
  it('covers one practice, and when due is produced for the last financial year and mailed as a link', async () => {
    const managerAB = await signedInUser(context(), 'practice_manager', ['A81001', 'B82002'])
    const guardianA = await signedInUser(context(), 'caldicott_guardian', ['A81001'])
    const refused = await add(managerAB, {
      kind: 'annual',
      practice: ['A81001', 'B82002'],
      period: 'last-financial-year',
      cron: '0 7 1 5 *',
      recipient: [String(managerAB.id)],
    })
    expect(refused.status).toBe(400)
    expect((await refused.json()).errors).toEqual({ practice: expect.stringMatching(/covers one practice/) })
    // an auditor may not receive one (REPORT_ROLES.annual)
    const auditor = await (
      await add(managerAB, {
        kind: 'annual',
        practice: 'A81001',
        period: 'last-financial-year',
        cron: '0 7 1 5 *',
        recipient: [String(users.auditorA.id)],
      })
    ).json()
    expect(auditor.errors.recipient).toMatch(/cannot download this report/)
    const added = await add(managerAB, {
      kind: 'annual',
      practice: 'A81001',
      period: 'last-financial-year',
      cron: '0 7 1 5 *',
      recipient: [String(guardianA.id)],
    })
    expect(added.status).toBe(303)
    const schedule = await t.db('report_schedules').where({ kind: 'annual' }).first()
    await t
      .db('report_schedules')
      .where({ id: schedule.id })
      .update({ created_at: new Date('2027-04-30T00:00:00Z') })
    const before = smtp.messages.length
    const [summary] = await runDueReportSchedules(deps(), produceScheduledReport, new Date('2027-05-01T06:00:30Z')) // 07:00 BST
    expect(summary, JSON.stringify(await t.db('job_runs').orderBy('id', 'desc').first())).toMatchObject({ status: 'completed' })
    const report = await t
      .db('report_exports')
      .where({ generated_by: `schedule:${schedule.id}` })
      .first()
    expect(report.kind).toBe('annual')
    expect(report.params).toMatchObject({ practices: ['A81001'], from: '2026-04-01', to: '2027-03-31' })
    const mails = smtp.messages.slice(before)
    expect(mails.map((m) => to(m)[0])).toEqual([guardianA.email])
    expect(mails[0]!.subject).toBe('Sharing Ledger: Annual Caldicott report, 1 Apr 2026 to 31 Mar 2027, is ready')
    expect(mails[0]!.attachments).toHaveLength(0)
  })
})
