import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createUser } from '../../db/queries/users.js'
import type { RunningServer } from '../../server.js'
import { TEST_PASSWORD } from '../support/app.js'
import { ensureAppBuilt, openBrowserSession, signIn, waitForPage } from '../support/browser.js'
import { testConfig } from '../support/config.js'
import { useTestDatabase } from '../support/db.js'
import { OTHER, PATIENT, seedStatementData } from '../support/statement-seed.js'

// Issue 17, part 3: looking at a patient's records is itself recorded, and a Caldicott guardian
// answers "who looked at this patient's sharing" from the access log, by pseudonym.

const t = useTestDatabase()
let server: RunningServer
let browser: Browser
let page: Page
const consoleErrors: string[] = []

beforeAll(async () => {
  ensureAppBuilt()
  const seed = await seedStatementData(t.db, 'S20001', 'S20002')
  await createUser(t.db, {
    email: 'guardian@harbour.nhs.uk',
    password: TEST_PASSWORD,
    role: 'caldicott_guardian',
    practiceIds: [seed.practiceId],
    displayName: 'Dr Harbour',
  })
  ;({ server, browser, page } = await openBrowserSession(t.db, testConfig(t.url), consoleErrors))
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

describe("who looked at a patient's records", () => {
  it('records a view of a disclosure and of an emergency access, and the access log finds them by pseudonym', async () => {
    await signIn(page, server.url, 'guardian@harbour.nhs.uk', TEST_PASSWORD)
    const disclosure = await t.db('disclosures').where({ source_record_id: 'st-2' }).first('id')
    const event = await t.db('override_events').where({ source_record_id: 'bg-1' }).first('id')
    await page.goto(`${server.url}/disclosures/${disclosure.id}`)
    await page.getByRole('heading', { level: 1 }).waitFor()
    await page.goto(`${server.url}/overrides/${event.id}`)
    await page.getByRole('heading', { level: 1 }).waitFor()

    await page.goto(`${server.url}/audit-log`)
    await page.getByLabel('Patient').fill(PATIENT)
    await page.getByRole('button', { name: 'Apply filters' }).click()
    await waitForPage(page, new RegExp(`patient=${PATIENT}`))
    const table = page.getByRole('table')
    await table.waitFor()
    const text = (await table.textContent()) ?? ''
    expect(text).toContain('view_disclosure')
    expect(text).toContain(`disclosure:${disclosure.id}`)
    expect(text).toContain('view_override')
    expect(text).toContain(`override:${event.id}`)
    expect(text).toContain('guardian@harbour.nhs.uk')

    // another patient's records were not looked at: nothing under their pseudonym
    await page.goto(`${server.url}/audit-log?patient=${OTHER}`)
    expect(await page.getByRole('table').count()).toBe(0)
    expect(consoleErrors).toEqual([])
    // an NHS number is refused as a filter: the field takes pseudonyms only
    const refused = await page.goto(`${server.url}/audit-log?patient=9434765919`)
    expect(refused?.status()).toBe(400)
  }, 180_000)
})
