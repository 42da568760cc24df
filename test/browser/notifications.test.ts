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
import { testConfig } from '../support/config.js'
import { useTestDatabase } from '../support/db.js'

const t = useTestDatabase()
let server: RunningServer
let browser: Browser
let page: Page
const consoleErrors: string[] = []
const ids = {} as Record<'finding' | 'overdue', number>
const DAY = 86_400_000

/** A guardian's practice with a high finding opened yesterday and an override event 10 days old (overdue). */
async function seed() {
  const practice = await ensurePractice(t.db, { odsCode: 'B82005', name: 'Hillside Medical Centre' })
  const source = await addSource(t.db, { practiceId: practice.id, kind: 'fhir', name: 'Hillside FHIR', baseUrl: 'http://127.0.0.1:1/fhir' })
  const hospital = await ensureOrganisation(t.db, { odsCode: 'RX2', name: 'Valley NHS Foundation Trust', recipientType: 'nhs_trust' })
  await createUser(t.db, {
    email: 'guardian@hillside.nhs.uk',
    password: TEST_PASSWORD,
    role: 'caldicott_guardian',
    practiceIds: [practice.id],
    displayName: 'Dr Grace Guardian',
  })
  ids.finding = Number(
    (
      await t
        .db('findings')
        .insert({
          rule_id: 'optout_disclosure',
          severity: 'high',
          practice_id: practice.id,
          subject_key: 'disclosure:1',
          summary: 'Disclosure despite an opt-out',
          opened_at: new Date(Date.now() - DAY),
        })
        .returning('id')
    )[0].id,
  )
  await upsertOverrideEvents(t.db, [
    {
      practice_id: practice.id,
      source_id: source.id,
      source_record_id: 'e1',
      source_version: '1',
      occurred_at: new Date(Date.now() - 10 * DAY).toISOString(),
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
  ids.overdue = Number((await t.db('override_events').where({ source_record_id: 'e1' }).first('id')).id)
}

beforeAll(async () => {
  ensureAppBuilt()
  await seed()
  ;({ server, browser, page } = await openBrowserSession(t.db, testConfig(t.url), consoleErrors))
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

describe('notifications in a browser', () => {
  it('show a guardian the count in the header, the list most urgent first, and links that open the page', async () => {
    await signIn(page, server.url, 'guardian@hillside.nhs.uk', TEST_PASSWORD)
    const headerLink = page.getByRole('banner').getByRole('link', { name: 'Notifications (2)' })
    await headerLink.waitFor()
    await headerLink.click()
    await waitForPage(page, '/notifications')
    await page.getByRole('heading', { level: 1, name: 'Notifications' }).waitFor()
    const items = page.getByTestId('notifications').getByRole('listitem')
    expect(await items.count()).toBe(2)
    expect(await items.nth(0).textContent()).toContain(
      'An override event at Hillside Medical Centre (B82005) awaits review (7-day review, overdue by 3 days).',
    )
    expect(await items.nth(1).textContent()).toContain('A new high-severity finding is open at Hillside Medical Centre (B82005)')
    // The list names no patient: the pseudonym is on the event's page, behind the link.
    expect(await page.locator('main').textContent()).not.toContain('P-7F3A')
    await saveScreenshot(page, 'notifications')

    await page.getByRole('link', { name: `Open override event ${ids.overdue}` }).click()
    await waitForPage(page, `/overrides/${ids.overdue}`)
    await page.getByRole('heading', { level: 1, name: `Override event ${ids.overdue}` }).waitFor()

    await page.getByRole('banner').getByRole('link', { name: 'Notifications (2)' }).click()
    await waitForPage(page, '/notifications')
    await page.getByRole('link', { name: `Open finding ${ids.finding}` }).click()
    await waitForPage(page, `/findings/${ids.finding}`)
    expect(new URL(page.url()).pathname).toBe(`/findings/${ids.finding}`)
    expect(consoleErrors).toEqual([])
  })
})
