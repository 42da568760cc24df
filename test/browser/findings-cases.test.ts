import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureOrganisation } from '../../db/queries/organisations.js'
import { ensurePractice } from '../../db/queries/practices.js'
import { addSource } from '../../db/queries/sources.js'
import { createUser } from '../../db/queries/users.js'
import { evaluateFindings } from '../../core/findings/evaluate.js'
import type { RunningServer } from '../../server.js'
import { TEST_PASSWORD } from '../support/app.js'
import { ensureAppBuilt, hydratedGoto, openBrowserSession, saveScreenshot, signIn, waitForPage } from '../support/browser.js'
import { testConfig } from '../support/config.js'
import { useTestDatabase } from '../support/db.js'

// Issue 19: the guardian sees findings as cases and accepts one with a reason; an administrator
// registers the agreement a case asks for, from the case; each case closes.

const t = useTestDatabase()
let server: RunningServer
let browser: Browser
let page: Page
let adminPage: Page
const consoleErrors: string[] = []
let uni: number
let csu: number

beforeAll(async () => {
  ensureAppBuilt()
  const practice = await ensurePractice(t.db, { odsCode: 'A81001', name: 'Riverside Surgery' })
  const source = await addSource(t.db, {
    practiceId: practice.id,
    kind: 'fhir',
    name: 'Riverside FHIR',
    baseUrl: 'http://127.0.0.1:1/fhir',
  })
  uni = await ensureOrganisation(t.db, { odsCode: 'LU1', name: 'Lane University', recipientType: 'research_org' })
  csu = await ensureOrganisation(t.db, { odsCode: '0AR', name: 'North CSU', recipientType: 'data_processor' })
  for (const [recipient, purpose, n, tag] of [
    [uni, 'research', 50, 'u'],
    [csu, 'commissioning', 20, 'c'],
  ] as const) {
    await t.db.raw(
      `INSERT INTO disclosures (practice_id, source_id, source_record_id, source_version, occurred_at, patient_pseudonym, recipient_id, purpose, data_level)
       SELECT ?, ?, ? || g, '1', '2026-03-01T10:00:00Z'::timestamptz + g * interval '1 day', 'P-CASE-' || lpad(g::text, 4, '0') || '-0000', ?, ?, 'identifiable'
         FROM generate_series(1, ?) g`,
      [practice.id, source.id, tag, recipient, purpose, n],
    )
  }
  await evaluateFindings(t.db, { rules: ['no_agreement'] })
  await createUser(t.db, {
    email: 'guardian@riverside.nhs.uk',
    password: TEST_PASSWORD,
    role: 'caldicott_guardian',
    practiceIds: [practice.id],
    displayName: 'Dr Grace Guardian',
  })
  await createUser(t.db, {
    email: 'admin@riverside.nhs.uk',
    password: TEST_PASSWORD,
    role: 'admin',
    practiceIds: [],
    displayName: 'Ada Admin',
  })
  ;({ server, browser, page } = await openBrowserSession(t.db, testConfig(t.url), consoleErrors))
  await signIn(page, server.url, 'guardian@riverside.nhs.uk', TEST_PASSWORD)
  adminPage = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'en-GB', timezoneId: 'Europe/London' })
  hydratedGoto(adminPage)
  adminPage.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text())
  })
  await signIn(adminPage, server.url, 'admin@riverside.nhs.uk', TEST_PASSWORD)
}, 180_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

const caseRow = (p: Page, recipient: number, purpose: string) => p.getByTestId(`case-no_agreement-recipient:${recipient}:${purpose}`)

describe('findings by case', () => {
  it('the guardian sees the case of a recipient without an agreement and accepts it with a reason; the case closes', async () => {
    await page.goto(`${server.url}/findings`)
    await page.getByRole('heading', { name: '2 open cases' }).waitFor()
    const research = caseRow(page, uni, 'research')
    expect(await research.textContent()).toContain('Lane University (LU1), Research')
    expect(await research.locator('td, th').nth(4).textContent()).toBe('50')
    // Registering an agreement is the administrator's: the guardian is told what resolves it, without the link.
    expect(await research.textContent()).toContain('Register the data sharing agreement with Lane University')
    expect(await research.getByRole('link', { name: 'Register the agreement' }).count()).toBe(0)
    await saveScreenshot(page, 'findings-cases')

    await caseRow(page, csu, 'commissioning')
      .getByRole('link', { name: /North CSU/ })
      .click()
    await waitForPage(page, '/findings/case')
    await page.getByRole('heading', { level: 1, name: /North CSU/ }).waitFor()
    expect(await page.getByTestId('case-findings').textContent()).toBe('20')
    await page.getByLabel('Accept').check()
    await page.getByLabel('Reason').fill('Commissioning flows under the ICB’s s251 support; the CSU processes for the ICB.')
    await page.getByRole('button', { name: 'Record the decision for the case' }).click()
    await page.getByTestId('case-notice').waitFor()
    expect(await page.getByTestId('case-notice').textContent()).toContain('20 findings are now accepted. This case is closed.')
    expect(await page.getByTestId('case-status').textContent()).toBe('Accepted')
    // Each finding's own page carries the decision in its history.
    await page
      .getByRole('table', { name: /findings of this case/ })
      .getByRole('link')
      .first()
      .click()
    await waitForPage(page, /^\/findings\/\d+/)
    expect(await page.getByTestId('finding-status').textContent()).toBe('Accepted')
    expect(await page.locator('main').textContent()).toContain('the CSU processes for the ICB')

    await page.goto(`${server.url}/findings`)
    await page.getByRole('heading', { name: '1 open case' }).waitFor()
    expect(await caseRow(page, csu, 'commissioning').count()).toBe(0)
  })

  it('an administrator registers the agreement from the case, and the case closes', async () => {
    await adminPage.goto(`${server.url}/findings`)
    const research = caseRow(adminPage, uni, 'research')
    await research.waitFor()
    await research.getByRole('link', { name: 'Register the agreement' }).click()
    await waitForPage(adminPage, '/admin/agreements')
    // The form is filled in from the case: recipient, purpose, practice and the first day.
    expect(await adminPage.getByLabel('Recipient', { exact: true }).inputValue()).toBe(String(uni))
    expect(await adminPage.locator('#agreement-purpose-research').isChecked()).toBe(true)
    expect(await adminPage.getByLabel('Riverside Surgery (A81001)').isChecked()).toBe(true)
    expect(await adminPage.getByLabel('Valid from').inputValue()).toBe('2026-03-02')
    await adminPage.getByLabel('Reference').fill('DSA-2026-100')
    await adminPage.getByLabel('Data level allowed').selectOption('identifiable')
    await adminPage.getByRole('button', { name: 'Add agreement' }).click()
    await adminPage.getByText('Added agreement DSA-2026-100 with Lane University.').waitFor()

    await page.goto(`${server.url}/findings`)
    await page.getByRole('heading', { name: 'No open cases' }).waitFor()
    await page.goto(`${server.url}/findings?status=resolved`)
    const resolved = caseRow(page, uni, 'research')
    await resolved.waitFor()
    expect(await resolved.locator('td, th').nth(4).textContent()).toBe('50')
    expect(await t.db('findings').where({ rule_id: 'no_agreement', status: 'open' }).count('* as n').first()).toEqual({ n: 0 })
    expect(consoleErrors).toEqual([])
  })
})
