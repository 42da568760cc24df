import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addRunCounts, finishRun, startRun } from '../../db/queries/job-runs.js'
import { ensurePractice } from '../../db/queries/practices.js'
import { quarantineRecords } from '../../db/queries/records.js'
import { addSource } from '../../db/queries/sources.js'
import { createUser } from '../../db/queries/users.js'
import { startSimulator, type RunningSimulator } from '../../simulator/server.js'
import type { RunningServer } from '../../server.js'
import { TEST_PASSWORD } from '../support/app.js'
import { ensureAppBuilt, openBrowserSession, saveScreenshot, signIn } from '../support/browser.js'
import { testConfig } from '../support/config.js'
import { useTestDatabase } from '../support/db.js'

const t = useTestDatabase()
let sim: RunningSimulator
let server: RunningServer
let browser: Browser
let page: Page
const consoleErrors: string[] = []
let sourceId: number

async function seed() {
  sim = await startSimulator({ port: 0, practices: 1, days: 4, seed: 21 })
  const practice = await ensurePractice(t.db, { odsCode: sim.practices[0]!.odsCode, name: 'Riverside Surgery' })
  await t.db('practices').where({ id: practice.id }).update({ name: 'Riverside Surgery' })
  const source = await addSource(t.db, {
    practiceId: practice.id,
    kind: 'fhir',
    name: 'Riverside FHIR',
    baseUrl: sim.practices[0]!.fhirBaseUrl,
    expectedIntervalMinutes: 60,
  })
  sourceId = source.id
  // Added three hours ago; never delivered since (its one run failed): silent against an expected hour.
  await t
    .db('sources')
    .where({ id: source.id })
    .update({ created_at: t.db.raw(`now() - interval '3 hours'`) })
  const ndop = await addSource(t.db, {
    practiceId: null,
    kind: 'ndop_csv',
    name: 'NDOP publication',
    expectedIntervalMinutes: 60 * 24 * 400,
  })
  const failed = await startRun(t.db, { jobName: 'collect', sourceId: source.id, trigger: 'schedule', lockedBy: 'test' })
  await addRunCounts(t.db, failed.id, { read: 40, inserted: 38, updated: 0, duplicates: 1, quarantined: 1 })
  await finishRun(t.db, failed.id, 'failed', 'HTTP 503 from the practice system after 5 attempts')
  await t
    .db('job_runs')
    .where({ id: failed.id })
    .update({
      started_at: t.db.raw(`now() - interval '2 hours'`),
      finished_at: t.db.raw(`now() - interval '2 hours' + interval '40 seconds'`),
    })
  const imported = await startRun(t.db, { jobName: 'import-ndop', sourceId: ndop.id, trigger: 'schedule', lockedBy: 'test' })
  await addRunCounts(t.db, imported.id, { read: 6, inserted: 6, updated: 0, duplicates: 0, quarantined: 0 })
  await finishRun(t.db, imported.id, 'completed', null)
  await quarantineRecords(t.db, [
    {
      sourceId: source.id,
      recordKey: 'AuditEvent/ae-odd-1',
      resourceType: 'AuditEvent',
      reason: 'AuditEvent has no purposeOfEvent code that maps to a known purpose (got v3-ActReason#XYZZY)',
      payload: { resourceType: 'AuditEvent', id: 'ae-odd-1', entity: [{ what: { identifier: { value: '9434765919' } } }] },
      runId: failed.id,
    },
  ])
  await createUser(t.db, { email: 'admin@ledger.test', password: TEST_PASSWORD, role: 'admin', practiceIds: [], displayName: 'Ada Admin' })
  await createUser(t.db, {
    email: 'manager@riverside.nhs.uk',
    password: TEST_PASSWORD,
    role: 'practice_manager',
    practiceIds: [practice.id],
    displayName: 'Pat Manager',
  })
}

async function tableRows(caption: string): Promise<string[][]> {
  const table = page.locator('table', { has: page.locator('caption', { hasText: caption }) })
  return table
    .locator('tbody tr')
    .evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('th, td'), (cell) => cell.textContent?.trim() ?? '')))
}

beforeAll(async () => {
  ensureAppBuilt()
  await seed()
  const config = testConfig(t.url)
  ;({ server, browser, page } = await openBrowserSession(t.db, config, consoleErrors))
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
  await sim?.close()
})

describe('jobs page in a browser', () => {
  it('shows schedules, source health, run history and quarantine to a practice manager', async () => {
    await signIn(page, server.url, 'manager@riverside.nhs.uk', TEST_PASSWORD)
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Jobs' }).click()
    await page.waitForURL(/\/jobs$/)
    // The address changes a moment before the new page renders (client-side navigation).
    await page.getByRole('heading', { level: 1, name: 'Jobs and sources' }).waitFor()
    const schedules = await tableRows('Scheduled jobs')
    expect(schedules.map((r) => r.slice(0, 2))).toEqual([
      ['collect', '*/15 * * * *every 15 minutes'],
      ['import-inbox', '5 * * * *every hour at 5 minutes past'],
      ['ledger-integrity', '30 2 * * *every day at 02:30'],
    ])
    const sources = await tableRows('Sources and their health')
    expect(sources[0]!.slice(0, 3)).toEqual(['NDOP publicationNDOP publication (CSV)', 'National', 'Delivering'])
    expect(sources[1]!.slice(0, 3)).toEqual(['Riverside FHIRPractice system (FHIR)', 'Riverside Surgery (A81001)', 'Silent'])
    const runs = await tableRows('Collector and import runs')
    expect(runs[1]!.slice(7)).toEqual(['40', '38', '0', '1', '1'])
    const quarantine = await tableRows('Records waiting in quarantine')
    expect(quarantine).toHaveLength(1)
    expect(quarantine[0]![1]).toContain('XYZZY')
    expect(await page.content()).not.toContain('9434765919')
  })

  it('starts a collection with Run now and shows the run appear and finish', async () => {
    await page.getByRole('button', { name: 'Run now for Riverside FHIR' }).click()
    const notice = page.getByTestId('jobs-notice')
    await notice.waitFor()
    const text = (await notice.textContent())!
    expect(text).toMatch(/^Collection started: run \d+ \(Riverside FHIR\)/)
    const runId = Number(/run (\d+)/.exec(text)![1])
    const row = page.getByTestId(`run-${runId}`)
    await row.waitFor()
    // The page refreshes itself while a run is active, so the end shows up without a reload.
    await row.locator('td', { hasText: 'Completed' }).waitFor({ timeout: 30_000 })
    const cells = await row.locator('th, td').allTextContents()
    expect(cells.slice(0, 5)).toEqual([String(runId), 'collect', 'Riverside FHIRA81001', 'Manual', 'Completed'])
    expect(Number(cells[8]!.replace(/,/g, ''))).toBeGreaterThan(50)
    expect(await t.db('job_runs').where({ id: runId }).first()).toMatchObject({
      status: 'completed',
      trigger: 'manual',
      source_id: sourceId,
    })
    await page.getByTestId(`source-${sourceId}`).locator('td', { hasText: 'Delivering' }).waitFor()
    await saveScreenshot(page, 'jobs')
    expect(consoleErrors).toEqual([])
  })

  it('keeps the raw quarantined record from a practice manager', async () => {
    await page.getByRole('link', { name: 'AuditEvent AuditEvent/ae-odd-1' }).click()
    await page.getByRole('heading', { name: /^Quarantined record \d+$/ }).waitFor()
    expect(await page.getByTestId('quarantine-reason').textContent()).toContain('XYZZY')
    expect(await page.getByTestId('payload-withheld').textContent()).toMatch(/only administrators can see it/)
    expect(await page.content()).not.toContain('9434765919')
    expect(consoleErrors).toEqual([])
  })

  it('shows the raw quarantined record to an administrator, and logs the viewing', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB', timezoneId: 'Europe/London' })
    const adminPage = await context.newPage()
    try {
      await signIn(adminPage, server.url, 'admin@ledger.test', TEST_PASSWORD)
      const entry = await t.db('quarantine').where({ record_key: 'AuditEvent/ae-odd-1' }).first('id')
      await adminPage.goto(`${server.url}/jobs/quarantine/${entry.id}`)
      expect(await adminPage.getByTestId('quarantine-payload').textContent()).toContain('9434765919')
      expect(
        await t
          .db('access_log')
          .where({ action: 'view_quarantine_payload', target: `quarantine:${entry.id}` })
          .count('* as n')
          .first(),
      ).toEqual({ n: 1 })
      await saveScreenshot(adminPage, 'jobs-quarantine-admin')
    } finally {
      await context.close()
    }
  })
})
