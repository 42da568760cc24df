import AxeBuilder from '@axe-core/playwright'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensurePractice } from '../../db/queries/practices.js'
import { createUser } from '../../db/queries/users.js'
import type { RunningServer } from '../../server.js'
import { TEST_PASSWORD } from '../support/app.js'
import { ensureAppBuilt, openBrowserSession, saveScreenshot, signIn, waitForPage } from '../support/browser.js'
import { testConfig } from '../support/config.js'
import { useTestDatabase } from '../support/db.js'

const t = useTestDatabase()
let server: RunningServer
let browser: Browser
let page: Page
const consoleErrors: string[] = []

beforeAll(async () => {
  ensureAppBuilt()
  const practice = await ensurePractice(t.db, { odsCode: 'A81001', name: 'Riverside Surgery' })
  await createUser(t.db, {
    email: 'manager@riverside.nhs.uk',
    password: TEST_PASSWORD,
    role: 'practice_manager',
    practiceIds: [practice.id],
    displayName: 'Mo Manager',
  })
  await createUser(t.db, {
    email: 'auditor@riverside.nhs.uk',
    password: TEST_PASSWORD,
    role: 'auditor',
    practiceIds: [practice.id],
    displayName: 'Ada Auditor',
  })
  ;({ server, browser, page } = await openBrowserSession(t.db, testConfig(t.url), consoleErrors))
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

describe('scheduled reports in a browser', () => {
  it('a practice manager schedules a report from /reports, after a refusal that names the fields', { timeout: 180_000 }, async () => {
    await signIn(page, server.url, 'manager@riverside.nhs.uk', TEST_PASSWORD)
    await page.goto(`${server.url}/reports`)
    await page.getByRole('link', { name: 'Scheduled reports' }).click()
    await waitForPage(page, '/reports/schedules')
    await page.getByRole('heading', { level: 1, name: 'Scheduled reports' }).waitFor()
    // testConfig has no SMTP_URL: the page says mail is off.
    await page.getByTestId('mail-off').waitFor()

    await page.getByLabel('When (a cron expression)').fill('* * * * *')
    await page.getByRole('button', { name: 'Schedule the report' }).click()
    const summary = page.getByRole('alert')
    await summary.getByText('There is a problem').waitFor()
    const problems = await summary.getByRole('listitem').allTextContents()
    expect(problems).toEqual([
      'Choose which report to schedule.',
      'Choose at least one practice.',
      'Choose the period each report covers.',
      'Give the minute and hour as numbers (such as "0 7"): a report runs at most once an hour.',
      'Choose at least one person to send it to.',
    ])
    expect(await page.getByLabel('When (a cron expression)').inputValue()).toBe('* * * * *')

    await page.getByLabel('Report', { exact: true }).selectOption('audit')
    await page.getByLabel('Riverside Surgery (A81001)').check()
    await page.getByLabel('Period each report covers').selectOption('last-quarter')
    await page.getByLabel('When (a cron expression)').fill('0 7 1 1,4,7,10 *')
    await page.getByLabel(/Ada Auditor/).check()
    await page.getByRole('button', { name: 'Schedule the report' }).click()
    await page.getByText('The schedule is recorded.').waitFor()
    const row = page.getByTestId('schedules').getByRole('row').nth(1)
    const cells = await row.getByRole('cell').allTextContents()
    expect(cells.slice(0, 6)).toEqual([
      'Audit evidence pack',
      'Riverside Surgery (A81001)',
      'Last calendar quarter',
      '0 7 1 1,4,7,10 *',
      'auditor@riverside.nhs.uk',
      'not yet',
    ])
    await saveScreenshot(page, 'report-schedules')
    // As the accessibility sweep checks every page: no serious or critical axe violation, and at
    // a phone's width no sideways scroll (the table scrolls in its own box). axe needs a page of
    // its own browser context.
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'en-GB', timezoneId: 'Europe/London' })
    try {
      const axePage = await context.newPage()
      await signIn(axePage, server.url, 'manager@riverside.nhs.uk', TEST_PASSWORD)
      await axePage.goto(`${server.url}/reports/schedules`)
      await axePage.getByTestId('schedules').waitFor()
      const axe = await new AxeBuilder({ page: axePage })
        .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'])
        .analyze()
      expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help}`)).toEqual([])
      await axePage.setViewportSize({ width: 390, height: 844 })
      expect(await axePage.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0)
    } finally {
      await context.close()
    }

    await row.getByRole('button', { name: /Stop/ }).click()
    await page.getByText('The schedule is stopped.').waitFor()
    await page.getByText('No report is scheduled for your practices.').waitFor()
    // The refused submission's 400 is the browser's own console line; nothing else may appear.
    expect(consoleErrors.filter((e) => !e.includes('status of 400'))).toEqual([])
  })
})
