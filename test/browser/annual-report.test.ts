import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningServer } from '../../server.js'
import { GUARDIAN, PRACTICE, seedAnnualData, YEAR } from '../support/annual-seed.js'
import { TEST_PASSWORD } from '../support/app.js'
import { ensureAppBuilt, hydratedGoto, openBrowserSession, saveScreenshot, signIn, waitForPage } from '../support/browser.js'
import { testConfig } from '../support/config.js'
import { useTestDatabase } from '../support/db.js'
import { pdfPages } from '../integration/reports/fixtures.js'

// Issue 17, part 3, as a guardian does it: the annual Caldicott report from /reports (a period
// longer than a year is put right at its field), downloaded and read back; then the DSPT evidence
// index, which now says when that report was last produced and leads to the pages it cites.

const t = useTestDatabase()
let server: RunningServer
let browser: Browser
let page: Page
const consoleErrors: string[] = []
const downloads = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-annual-browser-'))

beforeAll(async () => {
  ensureAppBuilt()
  await seedAnnualData(t.db)
  ;({ server, browser, page } = await openBrowserSession(t.db, testConfig(t.url), consoleErrors))
}, 180_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
  fs.rmSync(downloads, { recursive: true, force: true })
})

describe('the annual Caldicott report and the DSPT index in a browser', () => {
  it('a guardian corrects a period longer than a year at its field, then downloads the report', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB', acceptDownloads: true })
    const p = await context.newPage()
    p.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()))
    hydratedGoto(p)
    await signIn(p, server.url, GUARDIAN.email, TEST_PASSWORD)
    await p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Reports' }).click()
    await waitForPage(p, '/reports')
    await p.getByLabel('Report', { exact: true }).selectOption({ label: 'Annual Caldicott report (for the practice board)' })
    await p.getByLabel('From').fill(YEAR.from)
    await p.getByLabel('To', { exact: true }).fill('2026-04-30')
    await p.getByRole('button', { name: 'Produce and download' }).click()
    await p.getByRole('alert').waitFor()
    const error = await p.locator('#report-to-error').textContent()
    expect(error).toContain('at most a year')
    expect(await p.getByLabel('To', { exact: true }).getAttribute('aria-invalid')).toBe('true')
    await saveScreenshot(p, 'annual-report-field-error')

    await p.getByLabel('To', { exact: true }).fill(YEAR.to)
    const [download] = await Promise.all([
      p.waitForEvent('download', { timeout: 120_000 }),
      p.getByRole('button', { name: 'Produce and download' }).click(),
    ])
    const file = path.join(downloads, 'annual.pdf')
    await download.saveAs(file)
    expect(download.suggestedFilename()).toBe(`annual-caldicott-report_${PRACTICE}_${YEAR.from}_${YEAR.to}.pdf`)
    const text = pdfPages(file).join('\n')
    expect(text).toContain('Sharing Ledger: Annual Caldicott report')
    expect(text).toMatch(/Disclosures in the year\s+330/)
    expect(text).toContain('10. Caldicott guardian sign-off')
    expect(text).toContain(GUARDIAN.name)
    expect(text).not.toMatch(/PSN-/)
    await context.close()
  }, 240_000)

  it('the DSPT index says when the report was last produced and leads to the access log', async () => {
    await signIn(page, server.url, GUARDIAN.email, TEST_PASSWORD)
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'DSPT' }).click()
    await waitForPage(page, '/dspt')
    await page.getByRole('heading', { name: 'DSPT evidence index' }).waitFor()
    const table = page.getByRole('table', { name: 'Toolkit topics and their evidence' })
    const opt = table.getByRole('row', { name: /national data opt-out/ })
    // produced by the first test, for this practice (the recorded report, once downloaded)
    await expect
      .poll(async () => (await page.reload(), await opt.textContent()), { timeout: 30_000 })
      .toMatch(/Annual Caldicott report: opt-out trend: last produced/)
    expect(await table.getByRole('row', { name: /Integrity of the audit trail/ }).textContent()).toContain(
      'npm run ledger -- integrity verify',
    )
    await saveScreenshot(page, 'dspt-index')
    await table
      .getByRole('row', { name: /Monitoring access/ })
      .getByRole('link', { name: 'Access log' })
      .click()
    await waitForPage(page, '/audit-log')
    await page.getByRole('heading', { level: 1 }).waitFor()
    expect(consoleErrors).toEqual([])
  }, 180_000)
})
