import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureOrganisation } from '../../db/queries/organisations.js'
import { ensurePractice } from '../../db/queries/practices.js'
import { upsertOverrideEvents } from '../../db/queries/records.js'
import { addSource } from '../../db/queries/sources.js'
import { createUser } from '../../db/queries/users.js'
import type { RunningServer } from '../../server.js'
import { TEST_PASSWORD } from '../support/app.js'
import { ensureAppBuilt, openBrowserSession, saveScreenshot, signIn, waitForPage } from '../support/browser.js'
import { REVIEW_REASONS_LIMIT, SESSION_WARNING_SECONDS } from '../../app/lib/limits.js'
import { testConfig } from '../support/config.js'
import { useTestDatabase } from '../support/db.js'

// Issue 13: a warning two minutes before the session ends, and a form's words kept across a
// sign-in. The session's end is moved in the database rather than waited for.

const t = useTestDatabase()
let server: RunningServer
let browser: Browser
let page: Page
const consoleErrors: string[] = []
let eventId: number
const EMAIL = 'guardian@riverside.nhs.uk'

/** Makes every live session end in `seconds` (and counts it as just seen, so a page view does not extend it). */
async function sessionEndsIn(seconds: number): Promise<void> {
  await t.db.raw(`UPDATE sessions SET last_seen_at = now(), idle_expires_at = now() + make_interval(secs => ?) WHERE ended_at IS NULL`, [
    seconds,
  ])
}
const liveSessionEnd = async () =>
  (await t.db('sessions').whereNull('ended_at').where('idle_expires_at', '>', t.db.fn.now()).max('idle_expires_at as end').first())
    ?.end as Date | null

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
    email: EMAIL,
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
  ;({ server, browser, page } = await openBrowserSession(t.db, testConfig(t.url), consoleErrors))
  await signIn(page, server.url, EMAIL, TEST_PASSWORD)
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

const dialog = () => page.getByRole('dialog', { name: 'You’re about to be signed out' })

describe('session-timeout warning', () => {
  it('does not warn while the session has long to run', async () => {
    await page.goto(`${server.url}/overrides`)
    await page.waitForTimeout(2000)
    expect(await dialog().isVisible()).toBe(false)
  })

  it('warns two minutes before the end, and "Stay signed in" extends the session', async () => {
    await sessionEndsIn(SESSION_WARNING_SECONDS + 5)
    await page.goto(`${server.url}/overrides`)
    await dialog().waitFor({ timeout: 30_000 })
    expect(await dialog().textContent()).toMatch(/we will sign you out in (2 minutes|1 minute \d+ seconds?)/)
    // Modal, with focus on the first choice.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Stay signed in')
    await saveScreenshot(page, 'session-timeout-warning')
    await page.getByRole('button', { name: 'Stay signed in' }).click()
    await dialog().waitFor({ state: 'hidden' })
    const end = await liveSessionEnd()
    expect(end!.getTime() - Date.now()).toBeGreaterThan(25 * 60_000)
    // Still signed in: a page opens without the sign-in page.
    await page.goto(`${server.url}/overrides/${eventId}`)
    expect(new URL(page.url()).pathname).toBe(`/overrides/${eventId}`)
  })

  it('signs out when the time runs out, keeping what was typed for after the sign-in', async () => {
    await sessionEndsIn(SESSION_WARNING_SECONDS + 15)
    await page.goto(`${server.url}/overrides/${eventId}`)
    const words = 'Typed before the warning; kept through the time-out. ’Quotes’ too.'
    await page.getByLabel('Reasons').fill(words)
    await page.getByLabel('Inconclusive').check()
    await dialog().waitFor({ timeout: 60_000 })
    // The session ends early (as if its time ran out): the warning's next check sees it.
    await t.db.raw(`UPDATE sessions SET idle_expires_at = now() - interval '1 second' WHERE ended_at IS NULL`)
    await page.waitForURL(/\/login\?redirectTo=.*timedOut=1/, { timeout: 60_000 })
    await waitForPage(page, '/login')
    await page.getByTestId('timed-out').waitFor()
    await signInHere()
    await waitForPage(page, `/overrides/${eventId}`)
    await page.getByTestId('draft-restored').getByText('What you typed before signing in again has been put back').waitFor()
    expect(await page.getByLabel('Reasons').inputValue()).toBe(words)
    expect(await page.getByLabel('Inconclusive').isChecked()).toBe(true)
    // Put back once: the copy is gone from the tab.
    expect(await draftKeys()).toEqual([])
  })
})

describe('a form’s words kept across a re-sign-in', () => {
  it('a review submitted after the session ended is there after signing in again, and is recorded', async () => {
    await page.goto(`${server.url}/overrides/${eventId}`)
    const words = 'The registrar needed the medication history of an unconscious patient. Second line kept.'
    await page.getByLabel('Reasons').fill(words)
    await page.getByLabel('Justified', { exact: true }).check()
    await page.getByLabel('Escalate to an incident').check()
    // The session ends on the server (expired, or ended elsewhere) while the person writes.
    await t.db('sessions').del()
    await page.getByRole('button', { name: 'Sign review' }).click()
    await page.waitForURL(/\/login\?redirectTo=/)
    await waitForPage(page, '/login')
    await signInHere()
    await waitForPage(page, `/overrides/${eventId}`)
    await page.getByTestId('draft-restored').getByText('has been put back').waitFor()
    expect(await page.getByLabel('Reasons').inputValue()).toBe(words)
    expect(await page.getByLabel('Justified', { exact: true }).isChecked()).toBe(true)
    expect(await page.getByLabel('Escalate to an incident').isChecked()).toBe(true)
    // The character count heard the words put back.
    expect(await page.locator('#review-reasons-count').textContent()).toBe(
      `You have ${(REVIEW_REASONS_LIMIT - words.length).toLocaleString('en-GB')} characters remaining`,
    )
    await saveScreenshot(page, 'session-draft-restored')
    await page.getByRole('button', { name: 'Sign review' }).click()
    await page.getByTestId('review-1').waitFor()
    expect(await page.getByTestId('review-1').textContent()).toContain(words)
    expect(await page.getByTestId('review-1').textContent()).toContain('Justified')
    // Recorded: the form is empty again, and nothing is kept in the tab.
    expect(await page.getByLabel('Reasons').inputValue()).toBe('')
    expect(await draftKeys()).toEqual([])
    expect(consoleErrors).toEqual([])
  })
})

const draftKeys = () => page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith('ledger-draft:')))

/** Signs in on the sign-in page the app sent us to (keeping its redirectTo). */
async function signInHere(): Promise<void> {
  await page.getByLabel('E-mail address').fill(EMAIL)
  await page.getByLabel('Password').fill(TEST_PASSWORD)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL((url) => !url.pathname.startsWith('/login'))
}
