import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createUser } from '../../db/queries/users.js'
import type { RunningServer } from '../../server.js'
import { TEST_PASSWORD } from '../support/app.js'
import { ensureAppBuilt, hydratedGoto, openBrowserSession, saveScreenshot, signIn, waitForPage } from '../support/browser.js'
import { testConfig } from '../support/config.js'
import { useTestDatabase } from '../support/db.js'
import { OTHER, PATIENT, PATIENT_NHS, rowsContaining, seedStatementData } from '../support/statement-seed.js'

// Issue 17, part 1, as a guardian does it: the Statements page, an NHS number typed wrong and
// put right at its field, the statement downloaded and read back; the NHS number nowhere after.

const t = useTestDatabase()
let server: RunningServer
let browser: Browser
let page: Page
const consoleErrors: string[] = []
const downloads = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-statements-'))

beforeAll(async () => {
  ensureAppBuilt()
  const seed = await seedStatementData(t.db)
  await createUser(t.db, {
    email: 'guardian@harbour.nhs.uk',
    password: TEST_PASSWORD,
    role: 'caldicott_guardian',
    practiceIds: [seed.practiceId],
    displayName: 'Dr Harbour',
  })
  await createUser(t.db, {
    email: 'auditor@harbour.nhs.uk',
    password: TEST_PASSWORD,
    role: 'auditor',
    practiceIds: [seed.practiceId],
    displayName: 'Audrey Auditor',
  })
  ;({ server, browser, page } = await openBrowserSession(t.db, testConfig(t.url), consoleErrors))
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
  fs.rmSync(downloads, { recursive: true, force: true })
})

describe('disclosure statements in a browser', () => {
  it("a guardian corrects a mistyped NHS number at its field, then downloads the patient's statement", async () => {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      locale: 'en-GB',
      timezoneId: 'Europe/London',
      acceptDownloads: true,
    })
    const p = await context.newPage()
    hydratedGoto(p)
    await signIn(p, server.url, 'guardian@harbour.nhs.uk', TEST_PASSWORD)
    await p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Statements' }).click()
    await waitForPage(p, '/statements')
    await p.getByLabel('From').fill('2020-07-01')
    await p.getByLabel('To', { exact: true }).fill('2026-06-30')
    await p.getByLabel('NHS number').fill('943 476 5918') // last digit wrong
    await p.getByRole('button', { name: 'Prepare the statement' }).click()
    await p.getByRole('alert').waitFor()
    expect(await p.locator('#statement-nhsNumber-error').textContent()).toContain('its last digit does not match the check')
    expect(await p.getByLabel('NHS number').getAttribute('aria-invalid')).toBe('true')
    expect(await p.getByLabel('NHS number').inputValue()).toBe('943 476 5918')
    expect(await p.getByLabel('From').inputValue()).toBe('2020-07-01')
    await p.getByRole('alert').getByRole('link').click()
    expect(await p.evaluate(() => document.activeElement?.id)).toBe('statement-nhs-number')
    await saveScreenshot(p, 'statements-field-error')

    await p.getByLabel('NHS number').fill('943 476 5919')
    await p.getByRole('button', { name: 'Prepare the statement' }).click()
    const link = p.getByRole('link', { name: 'Download the statement (PDF)' })
    await link.waitFor()
    // the tab keeps no copy of what was typed (form drafts skip this form)
    expect(await p.evaluate(() => JSON.stringify(sessionStorage))).not.toMatch(/943\s?476\s?591/)
    const [download] = await Promise.all([p.waitForEvent('download', { timeout: 60_000 }), link.click()])
    const file = path.join(downloads, 'statement.pdf')
    await download.saveAs(file)
    expect(download.suggestedFilename()).toBe('disclosure-statement_S10001_2020-07-01_2026-06-30.pdf')
    const text = execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ')
    expect(text).toContain('Who we shared your information with')
    expect(text).toContain(PATIENT)
    expect(text).toContain('4 times in all.')
    expect(text).toContain('Northern University Research Unit (EE1)')
    expect(text).not.toContain('Faraway Clinic')
    expect(text).not.toContain(OTHER)
    expect(text).not.toMatch(/943\s?476\s?591/)

    // recorded and logged by pseudonym once sent; the link worked once
    const logged = await expectEventually(() => t.db('access_log').where({ action: 'statement_download', outcome: 'ok' }).first())
    expect(logged.detail.patient).toBe(PATIENT)
    const again = await p.request.get(new URL((await link.getAttribute('href'))!, server.url).toString())
    expect(again.status()).toBe(410)
    // the NHS number is nowhere in the database
    expect(await rowsContaining(t.db, PATIENT_NHS)).toEqual([])
    expect(await rowsContaining(t.db, '943 476 5919')).toEqual([])
    expect(await rowsContaining(t.db, '9434765918')).toEqual([])
    expect(consoleErrors).toEqual([])
    await context.close()
  }, 180_000)

  it('is not offered to an auditor, and the page refuses one', async () => {
    await signIn(page, server.url, 'auditor@harbour.nhs.uk', TEST_PASSWORD)
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Statements' }).count()).toBe(0)
    const response = await page.goto(`${server.url}/statements`)
    expect(response?.status()).toBe(403)
  }, 120_000)
})

async function expectEventually<T>(fn: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() > end) throw new Error('timed out waiting for the server')
    await new Promise((r) => setTimeout(r, 50))
  }
}
