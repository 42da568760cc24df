import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensurePractice } from '../../db/queries/practices.js'
import { addSource } from '../../db/queries/sources.js'
import { createUser } from '../../db/queries/users.js'
import type { RunningServer } from '../../server.js'
import { TEST_PASSWORD } from '../support/app.js'
import { ensureAppBuilt, openBrowserSession, saveScreenshot, signIn } from '../support/browser.js'
import { testConfig } from '../support/config.js'
import { useTestDatabase } from '../support/db.js'

const t = useTestDatabase()
let server: RunningServer
let browser: Browser
let page: Page
const consoleErrors: string[] = []
const NEW_PASSWORD = 'a new long passphrase'

async function seed() {
  const riverside = await ensurePractice(t.db, { odsCode: 'A81001', name: 'Riverside Surgery' })
  const hillside = await ensurePractice(t.db, { odsCode: 'B82002', name: 'Hillside Practice' })
  await t.db('practices').where({ id: riverside.id }).update({ name: 'Riverside Surgery' })
  await t.db('practices').where({ id: hillside.id }).update({ name: 'Hillside Practice' })
  await addSource(t.db, {
    practiceId: riverside.id,
    kind: 'fhir',
    name: 'Riverside FHIR',
    baseUrl: 'http://127.0.0.1:1/fhir',
    token: 'never-shown',
  })
  await createUser(t.db, { email: 'admin@ledger.test', password: TEST_PASSWORD, role: 'admin', practiceIds: [], displayName: 'Ada Admin' })
  await createUser(t.db, {
    email: 'guardian@riverside.nhs.uk',
    password: TEST_PASSWORD,
    role: 'caldicott_guardian',
    practiceIds: [riverside.id],
    displayName: 'Dr Guardian',
  })
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
})

describe('administration in a browser', () => {
  it('adds a user from /admin/users, after explaining a mistake in the form', async () => {
    await signIn(page, server.url, 'admin@ledger.test', TEST_PASSWORD)
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).click()
    await page.getByRole('heading', { level: 1, name: 'Administration' }).waitFor()
    await page.getByRole('link', { name: 'Users' }).first().click()
    await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor()

    await page.getByLabel('E-mail address').fill('sam.manager@riverside.nhs.uk')
    await page.getByLabel('Name', { exact: true }).fill('Sam Manager')
    await page.getByLabel('Role').selectOption('practice_manager')
    await page.getByLabel('Initial password').fill('too short')
    await page.getByRole('button', { name: 'Add user' }).click()

    // The summary takes focus and names every problem; each field says its own.
    const summary = page.getByRole('alert').filter({ hasText: 'There is a problem' })
    await summary.waitFor()
    await expect(summary.evaluate((el) => el === document.activeElement)).resolves.toBe(true)
    expect(await summary.locator('li').allTextContents()).toEqual([
      'Choose at least one practice this user works for',
      'The password must be at least 12 characters',
    ])
    await expect(page.getByLabel('Initial password').getAttribute('aria-invalid')).resolves.toBe('true')
    // The password never comes back from the server: it must be typed again.
    await expect(page.getByLabel('Initial password').inputValue()).resolves.toBe('')
    expect(await page.getByLabel('E-mail address').inputValue()).toBe('sam.manager@riverside.nhs.uk')

    await page.getByLabel('Riverside Surgery (A81001)').check()
    await page.getByLabel('Initial password').fill(NEW_PASSWORD)
    await page.getByRole('button', { name: 'Add user' }).click()
    await page.getByText('Added sam.manager@riverside.nhs.uk.').waitFor()
    const row = page.getByTestId('user-sam.manager@riverside.nhs.uk')
    expect(await row.locator('th, td').allTextContents()).toEqual([
      'Sam Managersam.manager@riverside.nhs.ukSigns in with a password',
      'Practice manager',
      'A81001',
      'Active',
      'Disable sam.manager@riverside.nhs.uk',
    ])
    // The form is empty again, ready for the next person.
    expect(await page.getByLabel('E-mail address').inputValue()).toBe('')
    await saveScreenshot(page, 'admin-users')
    // The rejected form is answered 400 on purpose; Chromium reports every 4xx fetch on the console.
    expect(consoleErrors.filter((m) => !m.includes('status of 400'))).toEqual([])
    consoleErrors.length = 0
  })

  it('never shows a source token', async () => {
    await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Sources' }).click()
    await page.getByRole('heading', { level: 1, name: 'Sources' }).waitFor()
    expect(await page.getByTestId('source-1').locator('td').nth(2).textContent()).toBe('Set')
    expect(await page.content()).not.toContain('never-shown')
    await saveScreenshot(page, 'admin-sources')
  })

  it('adds a data sharing agreement with a new recipient, after explaining bad dates', async () => {
    await page.goto(`${server.url}/admin/agreements`)
    await page.getByRole('heading', { level: 1, name: 'Data sharing agreements' }).waitFor()
    await page.getByLabel('Reference').fill('DSA-2026-007')
    await page.getByLabel('Recipient', { exact: true }).selectOption('new')
    await page.getByLabel('Organisation name').fill('City University')
    await page.getByLabel('ODS code (if it has one)').fill('EE1')
    await page.getByLabel('Recipient type').selectOption('research_org')
    await page.getByLabel('Research', { exact: true }).check()
    await page.getByLabel('Data level allowed').selectOption('pseudonymised')
    await page.getByLabel('Valid from').fill('2026-04-01')
    await page.getByLabel('Valid to (leave empty if open-ended)').fill('2026-03-31')
    await page.getByLabel('Riverside Surgery (A81001)').check()
    await page.getByRole('button', { name: 'Add agreement' }).click()
    const summary = page.getByRole('alert').filter({ hasText: 'There is a problem' })
    await summary.waitFor()
    expect(await summary.locator('li').allTextContents()).toEqual(['The end date must be on or after the start date'])
    // What was typed comes back, including the new recipient and the ticked boxes.
    expect(await page.getByLabel('Organisation name').inputValue()).toBe('City University')
    expect(await page.getByLabel('Research', { exact: true }).isChecked()).toBe(true)
    await page.getByLabel('Valid to (leave empty if open-ended)').fill('2027-03-31')
    await page.getByRole('button', { name: 'Add agreement' }).click()
    await page.getByText('Added agreement DSA-2026-007 with City University.').waitFor()
    const cells = await page.getByTestId('agreement-DSA-2026-007').locator('th, td').allTextContents()
    expect(cells).toEqual([
      'DSA-2026-007',
      'City UniversityResearch organisation, EE1',
      'Research',
      'Pseudonymised',
      '1 Apr 2026 to 31 Mar 2027In force',
      'A81001',
    ])
    await saveScreenshot(page, 'admin-agreements')
    expect(consoleErrors.filter((m) => !m.includes('status of 400'))).toEqual([])
    consoleErrors.length = 0
  })

  it('adds a code mapping', async () => {
    await page.goto(`${server.url}/admin/codes`)
    await page.getByRole('heading', { level: 1, name: 'Code mappings' }).waitFor()
    const form = page.getByRole('region', { name: 'Add a purpose code' })
    await form.getByLabel('Code system').fill('http://terminology.hl7.org/CodeSystem/v3-ActReason')
    await form.getByLabel('Code', { exact: true }).fill('XYZZY')
    await form.getByLabel('Means the purpose').selectOption('research')
    await form.getByRole('button', { name: 'Add purpose mapping' }).click()
    await page.getByText('Added a mapping for XYZZY').waitFor()
    await page.getByRole('row', { name: /XYZZY/ }).waitFor()
    await saveScreenshot(page, 'admin-codes')
    expect(consoleErrors).toEqual([])
  })

  it('shows the change in the access log', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Access log' }).click()
    await page.getByRole('heading', { level: 1, name: 'Access log' }).waitFor()
    await page.getByLabel('Action').selectOption('admin_user_add')
    await page.getByRole('button', { name: 'Apply filters' }).click()
    await page.waitForURL(/action=admin_user_add/)
    await page.getByRole('heading', { name: '1 entry' }).waitFor()
    const cells = await page.locator('table tbody tr').first().locator('th, td').allTextContents()
    // The new user is a manager of A81001: the entry concerns that practice (its auditors see it).
    expect(cells.slice(1, 5)).toEqual(['admin@ledger.test', 'admin_user_add', 'OK', 'A81001'])
    expect(cells[7]).toContain('sam.manager@riverside.nhs.uk')
    await page.getByRole('link', { name: 'Clear filters' }).click()
    await page.waitForURL((url) => url.search === '')
    await page.locator('table tbody tr', { hasText: 'sign_in' }).first().waitFor()
    expect(await page.getByLabel('Action').inputValue()).toBe('')
    await saveScreenshot(page, 'audit-log')
    expect(consoleErrors).toEqual([])
  })

  it('lets the new user sign in, and keeps them out of the admin pages', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB', timezoneId: 'Europe/London' })
    const other = await context.newPage()
    try {
      await signIn(other, server.url, 'sam.manager@riverside.nhs.uk', NEW_PASSWORD)
      expect(await other.locator('h1').textContent()).toBe('Overview')
      expect(await other.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).count()).toBe(0)
      const response = await other.goto(`${server.url}/admin/users`)
      expect(response?.status()).toBe(403)
      expect(await other.locator('main').textContent()).toContain('Your role (Practice manager) cannot do this.')
    } finally {
      await context.close()
    }
  })
})
