import fs from 'node:fs'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureOrganisation } from '../../db/queries/organisations.js'
import { ensurePractice } from '../../db/queries/practices.js'
import { upsertOverrideEvents } from '../../db/queries/records.js'
import { addSource } from '../../db/queries/sources.js'
import { createUser } from '../../db/queries/users.js'
import type { RunningServer } from '../../server.js'
import { TEST_PASSWORD } from '../support/app.js'
import { ensureAppBuilt, openBrowserSession, saveScreenshot, signIn } from '../support/browser.js'
import { testConfig } from '../support/config.js'
import { useTestDatabase } from '../support/db.js'

// Issue 13: a refused filter or a refused form keeps the page and every typed value.

const t = useTestDatabase()
let server: RunningServer
let browser: Browser
let page: Page
const consoleErrors: string[] = []
let eventId: number
let findingId: number

beforeAll(async () => {
  ensureAppBuilt()
  const practice = await ensurePractice(t.db, { odsCode: 'A81001', name: 'Riverside Surgery' })
  const source = await addSource(t.db, {
    practiceId: practice.id,
    kind: 'fhir',
    name: 'Riverside FHIR',
    baseUrl: 'http://127.0.0.1:1/fhir',
  })
  const hospital = await ensureOrganisation(t.db, { odsCode: 'RX2', name: 'Valley NHS Foundation Trust', recipientType: 'nhs_trust' })
  await createUser(t.db, {
    email: 'guardian@riverside.nhs.uk',
    password: TEST_PASSWORD,
    role: 'caldicott_guardian',
    practiceIds: [practice.id],
    displayName: 'Dr Grace Guardian',
  })
  await upsertOverrideEvents(t.db, [
    {
      practice_id: practice.id,
      source_id: source.id,
      source_record_id: 'e1',
      source_version: '1',
      occurred_at: new Date(Date.now() - 2 * 86_400_000).toISOString(),
      patient_pseudonym: 'P-7F3A-E1',
      kind: 'break_glass',
      reason_code: 'OVRER',
      purpose_code: 'ETREAT',
      legal_basis: 'vital_interests',
      actor_role: 'A&E registrar',
      actor: 'dr.patel',
      recipient_id: hospital,
      description: 'Opened the GP record of an unconscious patient brought into A&E',
      run_id: null,
    },
  ])
  eventId = Number((await t.db('override_events').first('id')).id)
  const [finding] = await t
    .db('findings')
    .insert({
      rule_id: 'prohibited_purpose',
      severity: 'high',
      practice_id: practice.id,
      subject_key: 'disclosure:1',
      summary: 'Records sent to an insurer for marketing',
    })
    .returning('id')
  findingId = Number(finding.id)
  ;({ server, browser, page } = await openBrowserSession(t.db, testConfig(t.url), consoleErrors))
  await signIn(page, server.url, 'guardian@riverside.nhs.uk', TEST_PASSWORD)
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

const activeId = () => page.evaluate(() => document.activeElement?.id ?? '')

describe('a refused period keeps the page', () => {
  it('says From after To at the field, focuses it and keeps both dates and the filter bar', async () => {
    await page.goto(`${server.url}/overrides`)
    await page.getByRole('heading', { level: 1, name: 'Override reviews' }).waitFor()
    await page.getByLabel('From').fill('2026-03-10')
    await page.getByLabel('To').fill('2026-03-01')
    await page.getByRole('button', { name: 'Apply filters' }).click()
    await page.waitForURL(/from=2026-03-10&to=2026-03-01/)
    const filters = page.getByRole('form', { name: 'Filters' })
    const message = filters.locator('#filter-period-error')
    await message.waitFor()
    expect(await message.textContent()).toContain('the start date ("from") is after the end date ("to")')
    await expect.poll(activeId).toBe('filter-from')
    expect(await page.getByLabel('From').inputValue()).toBe('2026-03-10')
    expect(await page.getByLabel('To').inputValue()).toBe('2026-03-01')
    expect(await page.getByLabel('From').getAttribute('aria-invalid')).toBe('true')
    expect(await page.getByLabel('From').getAttribute('aria-describedby')).toBe('filter-period-error')
    // The rest of the page is still there, showing every date meanwhile.
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Override reviews')
    expect(await page.getByText('P-7F3A-E1').count()).toBeGreaterThan(0)
    await saveScreenshot(page, 'forms-period-refused')
    // Correcting it in place works.
    await page.getByLabel('To').fill('2026-03-31')
    await page.getByRole('button', { name: 'Apply filters' }).click()
    await page.waitForURL(/to=2026-03-31/)
    await filters.locator('#filter-period-error').waitFor({ state: 'detached' })
    expect(consoleErrors).toEqual([])
  })

  it('says an impossible day arriving in the address at the To field, the page still served', async () => {
    const response = await page.goto(`${server.url}/findings?to=2026-02-30`)
    expect(response?.status()).toBe(200)
    const message = page.locator('#filter-period-error')
    expect(await message.textContent()).toContain('"to" is not a real calendar date')
    await expect.poll(activeId).toBe('filter-to')
    expect(await page.getByRole('form', { name: 'Filters' }).isVisible()).toBe(true)
  })

  it('still refuses a CSV for a bad period with a 400 that says why (a file cannot show it at a field)', async () => {
    const response = await page.request.get(`${server.url}/overrides.csv?from=2026-03-10&to=2026-03-01`)
    expect(response.status()).toBe(400)
    expect(await response.text()).toContain('the start date ("from") is after the end date ("to")')
  })
})

describe('error-summary links', () => {
  it('move focus to the field and keep every typed value', async () => {
    await page.goto(`${server.url}/overrides/${eventId}`)
    const reasons = 'Unconscious patient; the record was needed for safe treatment. ’Quoted’ words kept.'
    await page.getByLabel('Reasons').fill(reasons)
    await page.getByLabel('Escalate to an incident').check()
    await page.getByRole('button', { name: 'Sign review' }).click()
    const summary = page.getByRole('alert').filter({ hasText: 'There is a problem' })
    await summary.waitFor()
    const address = page.url()
    await summary.getByRole('link', { name: /Choose a verdict/ }).click()
    await expect.poll(activeId).toBe('review-verdict-justified')
    expect(page.url()).toBe(address)
    expect(await summary.isVisible()).toBe(true)
    expect(await page.getByLabel('Reasons').inputValue()).toBe(reasons)
    expect(await page.getByLabel('Escalate to an incident').isChecked()).toBe(true)
    // The character count says the limit before submitting, and counts down as you type.
    expect(await page.locator('#review-reasons-count').textContent()).toMatch(/You have 9,9\d\d characters remaining/)
    await saveScreenshot(page, 'forms-error-summary-focus')
    // The refused review is a 400 on purpose; nothing else may be logged.
    expect(consoleErrors.filter((e) => !e.includes('status of 400'))).toEqual([])
  })
})

describe('CSV downloads', () => {
  it('start with a byte-order mark (Excel reads UTF-8) and are named by type, practice and period', async () => {
    const today = new Date().toISOString().slice(0, 10)
    await page.goto(`${server.url}/overrides?practice=A81001&from=2026-01-01&to=${today}`)
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: /CSV/ }).first().click()])
    expect(download.suggestedFilename()).toBe(`overrides_A81001_2026-01-01_${today}.csv`)
    const bytes = fs.readFileSync((await download.path())!)
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    expect(bytes.subarray(3, 20).toString('utf8')).toMatch(/^[a-z_]+,/)
  })
})

describe('the overview says what its counts cover', () => {
  it('counts work still to do on every date, names high-severity findings first, and links to lists that agree', async () => {
    await page.goto(`${server.url}/?from=2026-01-01&to=2026-01-31`)
    const findings = page.getByTestId('open-findings')
    await findings.waitFor()
    expect(await page.locator('.key-figures').textContent()).toContain('Open findings (all dates)')
    expect(await findings.getByRole('link').first().textContent()).toBe('1')
    expect(await page.getByTestId('open-high-findings').textContent()).toContain('1 high severity')
    await page.getByTestId('open-high-findings').getByRole('link').click()
    await page.waitForURL(/\/findings\?severity=high$/)
    // The address changes a moment before the cases render (client-side navigation): wait for them.
    await expect.poll(() => page.getByRole('heading', { name: '1 open case' }).count(), { timeout: 30_000 }).toBe(1)
    expect(await page.getByRole('cell', { name: 'Disclosure for a prohibited purpose' }).count()).toBe(1)
  })
})

describe('the findings decision form', () => {
  it('says what is missing at the field, keeps the reason, then records the decision and empties the box', async () => {
    await page.goto(`${server.url}/findings/${findingId}`)
    await page.getByRole('heading', { level: 1 }).waitFor()
    expect(await page.locator('.facts').textContent()).not.toContain('prohibited_purpose')
    await page.getByLabel('Reason').fill('Marketing is never a lawful purpose here.')
    await page.getByRole('button', { name: 'Record decision' }).click()
    const summary = page.getByRole('alert').filter({ hasText: 'There is a problem' })
    await summary.waitFor()
    expect(await page.locator('#decision-status-error').textContent()).toContain('Choose accept, resolve or reopen')
    await summary.getByRole('link', { name: /Choose accept/ }).click()
    await expect.poll(activeId).toBe('status-accepted')
    expect(await page.getByLabel('Reason').inputValue()).toBe('Marketing is never a lawful purpose here.')
    await page.getByRole('group', { name: 'Decision' }).getByLabel('Resolve', { exact: true }).check()
    await page.getByRole('button', { name: 'Record decision' }).click()
    await page.getByText('The finding is now resolved.').waitFor()
    await expect.poll(() => page.getByTestId('finding-status').textContent()).toBe('Resolved')
    await expect.poll(() => page.getByLabel('Reason').inputValue()).toBe('')
    await saveScreenshot(page, 'forms-finding-decided')
  })
})
