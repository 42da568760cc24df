import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureOrganisation } from '../../db/queries/organisations.js'
import { ensurePractice } from '../../db/queries/practices.js'
import { upsertOverrideEvents, type OverrideEventRecord } from '../../db/queries/records.js'
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
let overdueId: number
const DAY = 86_400_000

/** Two events awaiting review (one 10 days old, so overdue) and one already reviewed. */
async function seed() {
  const practice = await ensurePractice(t.db, { odsCode: 'B82005', name: 'Hillside Medical Centre' })
  const source = await addSource(t.db, { practiceId: practice.id, kind: 'fhir', name: 'Hillside FHIR', baseUrl: 'http://127.0.0.1:1/fhir' })
  const hospital = await ensureOrganisation(t.db, { odsCode: 'RX2', name: 'Valley NHS Foundation Trust', recipientType: 'nhs_trust' })
  const police = await ensureOrganisation(t.db, { name: 'Valley Police', recipientType: 'police_judicial' })
  const guardian = await createUser(t.db, {
    email: 'guardian@hillside.nhs.uk',
    password: TEST_PASSWORD,
    role: 'caldicott_guardian',
    practiceIds: [practice.id],
    displayName: 'Dr Grace Guardian',
  })
  await createUser(t.db, {
    email: 'manager@hillside.nhs.uk',
    password: TEST_PASSWORD,
    role: 'practice_manager',
    practiceIds: [practice.id],
    displayName: 'Pat Manager',
  })
  const base = (id: string, daysAgo: number): OverrideEventRecord => ({
    practice_id: practice.id,
    source_id: source.id,
    source_record_id: id,
    source_version: '1',
    occurred_at: new Date(Date.now() - daysAgo * DAY).toISOString(),
    patient_pseudonym: `P-7F3A-${id.toUpperCase()}`,
    kind: 'break_glass',
    reason_code: 'OVRER',
    purpose_code: 'ETREAT',
    legal_basis: 'vital_interests',
    actor_role: 'A&E registrar',
    actor: 'dr.patel',
    recipient_id: hospital,
    description: 'Opened the GP record of an unconscious patient brought into A&E',
    run_id: null,
  })
  await upsertOverrideEvents(t.db, [
    base('e1', 10),
    {
      ...base('e2', 2),
      kind: 'consent_override',
      reason_code: 'OVRTPS',
      purpose_code: 'HLEGAL',
      legal_basis: 'legal_obligation',
      actor_role: 'Practice manager',
      actor: 'pat.manager',
      recipient_id: police,
      description: 'Records disclosed to the police under a court order despite a recorded dissent',
    },
    base('e3', 25),
  ])
  overdueId = Number((await t.db('override_events').where({ source_record_id: 'e1' }).first('id')).id)
  const reviewedId = Number((await t.db('override_events').where({ source_record_id: 'e3' }).first('id')).id)
  await t.db('override_reviews').insert({
    override_event_id: reviewedId,
    reviewer_id: guardian.id,
    verdict: 'justified',
    reasons: 'Emergency; proportionate.',
    signed_at: new Date(Date.now() - 20 * DAY),
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

describe('override reviews in a browser', () => {
  it('shows the queue: awaiting review first, the overdue one said in words', async () => {
    await signIn(page, server.url, 'guardian@hillside.nhs.uk', TEST_PASSWORD)
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Overrides' }).click()
    await page.waitForURL(/\/overrides$/)
    await page.getByRole('heading', { level: 1, name: 'Override reviews' }).waitFor()
    expect(await page.getByTestId('overrides-pending').textContent()).toBe('2')
    expect(await page.getByTestId('overrides-overdue').textContent()).toBe('1')
    const rows = page.locator('table', { has: page.locator('caption', { hasText: 'Override events' }) }).locator('tbody tr')
    expect(await rows.count()).toBe(3)
    const first = await rows.nth(0).textContent()
    expect(first).toContain('P-7F3A-E1')
    expect(first).toContain('Overdue by 3 days')
    expect(first).toContain('Emergency treatment (OVRER)')
    expect(first).toContain('Awaiting review')
    expect(await rows.nth(1).textContent()).toContain('Due in 5 days')
    expect(await rows.nth(1).textContent()).toContain('Third-party safety (OVRTPS)')
    expect(await rows.nth(2).textContent()).toContain('Justified')
    await saveScreenshot(page, 'overrides')
    expect(consoleErrors).toEqual([])
  })

  it('opens an event, says what is missing, then signs a review end to end', async () => {
    await page.getByRole('link', { name: new RegExp(`^Event ${overdueId}\\W+Awaiting review$`) }).click()
    await page.waitForURL(new RegExp(`/overrides/${overdueId}$`))
    await page.getByRole('heading', { level: 1, name: `Override event ${overdueId}` }).waitFor()
    expect(await page.getByTestId('no-reviews').textContent()).toContain('No review has been signed yet')

    // Nothing filled in: the server answers with the messages beside the fields.
    await page.getByRole('button', { name: 'Sign review' }).click()
    await page.getByRole('alert').waitFor()
    expect(await page.locator('#review-reasons-error').textContent()).toContain('Write the reasons for your verdict')
    expect(await page.getByLabel('Reasons').getAttribute('aria-invalid')).toBe('true')

    await page.getByRole('group', { name: 'Verdict' }).getByLabel('Justified', { exact: true }).check()
    await page
      .getByLabel('Reasons')
      .fill('Unconscious patient; the GP record was needed for safe emergency treatment. Access ended within the hour.')
    await page.getByLabel('Second signer (optional)').selectOption({ label: 'Pat Manager (Practice manager)' })
    await page.getByLabel('Escalate to an incident').check()
    await page.getByRole('button', { name: 'Sign review' }).click()
    await page
      .getByTestId('review-notice')
      .getByText(
        'Your review is signed and recorded as review 1, and escalated as an incident. It is complete once Pat Manager countersigns it.',
      )
      .waitFor()
    const review = page.getByTestId('review-1')
    expect(await review.getByRole('heading').textContent()).toBe('Review 1: Justified Current')
    const text = await review.textContent()
    expect(text).toContain('Dr Grace Guardian (Caldicott guardian)')
    // Issue 16: naming a second signer does not complete the review; their countersignature does.
    expect(await page.getByTestId('review-1-second-signer').textContent()).toBe('Pat Manager (Practice manager): awaiting countersignature')
    expect(await page.getByTestId('event-status').textContent()).toMatch(/^Justified, awaiting countersignature by Pat Manager/)
    expect(await page.getByTestId('countersign-panel').count()).toBe(0) // not for the reviewer
    expect(await page.getByRole('heading', { level: 2, name: 'Sign a new review (supersedes review 1)' }).count()).toBe(1)
    await saveScreenshot(page, 'override-review')
    const rows = await t.db('override_reviews').where({ override_event_id: overdueId })
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ verdict: 'justified', escalated: true })
    // The browser reports the deliberate 400 (empty form) as a failed resource: nothing else.
    expect(consoleErrors.filter((m) => !m.includes('status of 400'))).toEqual([])
    consoleErrors.length = 0
  })

  it('back on the queue, the event still awaits its countersignature', async () => {
    await page.getByRole('link', { name: 'Back to the override reviews' }).click()
    await page.waitForURL(/\/overrides$/)
    await page.getByRole('heading', { level: 1, name: 'Override reviews' }).waitFor()
    expect(await page.getByTestId('overrides-pending').textContent()).toBe('2')
    expect(await page.getByTestId('overrides-overdue').textContent()).toBe('1')
    const row = page.getByTestId(`override-${overdueId}`)
    expect(await row.textContent()).toContain('Awaiting countersignature by Pat Manager')
    expect(await row.textContent()).toContain('Escalated to incident')
    expect(await page.getByTestId('awaiting-mine').count()).toBe(0) // nothing awaits the guardian
    expect(consoleErrors).toEqual([])
  })

  it('the second signer, signed in as themselves, sees what awaits them and countersigns it', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB', timezoneId: 'Europe/London' })
    const other = await context.newPage()
    await signIn(other, server.url, 'manager@hillside.nhs.uk', TEST_PASSWORD)
    await other.goto(`${server.url}/overrides`)
    const awaiting = other.getByTestId('awaiting-mine')
    await awaiting.getByRole('heading', { name: 'Awaiting your countersignature' }).waitFor()
    await awaiting.getByRole('link', { name: new RegExp(`^Event ${overdueId} \\(B82005\\)`) }).click()
    await other.waitForURL(new RegExp(`/overrides/${overdueId}$`))
    await other.getByTestId('countersign-panel').waitFor()
    // A practice manager never gets the review form itself.
    expect(await other.getByTestId('review-not-allowed').count()).toBe(1)
    expect(await other.getByRole('button', { name: 'Sign review', exact: true }).count()).toBe(0)
    await other.getByRole('button', { name: 'Countersign review 1' }).click()
    await other.getByTestId('review-notice').getByText('You countersigned review 1: the review is complete.').waitFor()
    expect(await other.getByTestId('review-1-second-signer').textContent()).toMatch(
      /^Countersigned by Pat Manager \(Practice manager\), \d/,
    )
    expect(await other.getByTestId('event-status').textContent()).toBe('Reviewed: Justified')
    expect(await other.getByTestId('countersign-panel').count()).toBe(0)
    await other.goto(`${server.url}/overrides`)
    await other.getByRole('heading', { level: 1, name: 'Override reviews' }).waitFor()
    expect(await other.getByTestId('overrides-pending').textContent()).toBe('1')
    expect(await other.getByTestId('overrides-overdue').textContent()).toBe('0')
    expect(await other.getByTestId('awaiting-mine').count()).toBe(0)
    await context.close()
    expect(await t.db('override_countersignatures').select('decision')).toEqual([{ decision: 'countersigned' }])
  })

  it('the second signer may decline instead, with a reason; the event then needs a new review', async () => {
    const recentId = Number((await t.db('override_events').where({ source_record_id: 'e2' }).first('id')).id)
    await page.goto(`${server.url}/overrides/${recentId}`)
    await page.getByRole('group', { name: 'Verdict' }).getByLabel('Justified', { exact: true }).check()
    await page.getByLabel('Reasons').fill('Court order on file; disclosure limited to what it required.')
    await page.getByLabel('Second signer (optional)').selectOption({ label: 'Pat Manager (Practice manager)' })
    await page.getByRole('button', { name: 'Sign review' }).click()
    await page
      .getByTestId('review-notice')
      .getByText(/It is complete once Pat Manager countersigns it\./)
      .waitFor()

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB', timezoneId: 'Europe/London' })
    const other = await context.newPage()
    const errors: string[] = []
    other.on('console', (m) => m.type() === 'error' && errors.push(m.text()))
    await signIn(other, server.url, 'manager@hillside.nhs.uk', TEST_PASSWORD)
    await other.goto(`${server.url}/overrides/${recentId}`)
    await other.getByTestId('countersign-panel').waitFor()
    // Declining without a reason: the message is at the field.
    await other.getByRole('button', { name: 'Decline to countersign' }).click()
    await other.locator('#countersign-reason-error').waitFor()
    expect(await other.locator('#countersign-reason-error').textContent()).toContain('Write why you decline to countersign this review')
    await other.getByLabel('Reason (required to decline)').fill('The court order covers the hospital letters only, not the full record.')
    await other.getByRole('button', { name: 'Decline to countersign' }).click()
    await other.getByTestId('review-notice').getByText('You declined to countersign review 1. The event needs a new review.').waitFor()
    expect(await other.getByTestId('review-1-second-signer').textContent()).toMatch(/^Declined by Pat Manager \(Practice manager\)/)
    expect(await other.getByTestId('review-1').textContent()).toContain(
      'The court order covers the hospital letters only, not the full record.',
    )
    expect(await other.getByTestId('event-status').textContent()).toBe(
      'Awaiting review: the second signer declined to countersign the latest review',
    )
    await context.close()
    expect(errors.filter((m) => !m.includes('status of 400'))).toEqual([])
    const decisions = await t.db('override_countersignatures').orderBy('id').select('decision', 'reason')
    expect(decisions[1]).toEqual({ decision: 'declined', reason: 'The court order covers the hospital letters only, not the full record.' })
    // Both decisions are in the practice's chain of the tamper-evident ledger.
    expect(await t.db('ledger_entries').where({ table_name: 'override_countersignatures' }).count('* as n').first()).toEqual({ n: 2 })
  })
})
