import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensurePractice } from '../../db/queries/practices.js'
import { createUser } from '../../db/queries/users.js'
import type { RunningServer } from '../../server.js'
import { TEST_PASSWORD } from '../support/app.js'
import { ensureAppBuilt, openBrowserSession, signIn } from '../support/browser.js'
import { testConfig } from '../support/config.js'
import { useTestDatabase } from '../support/db.js'

// An administrator says a practice system offers FHIR Bulk Data $export (decision 037): when
// adding it, and later from the list; the collector's backfills follow the flag.

const t = useTestDatabase()
let server: RunningServer
let browser: Browser
let page: Page
const consoleErrors: string[] = []

beforeAll(async () => {
  ensureAppBuilt()
  await ensurePractice(t.db, { odsCode: 'A81001', name: 'Riverside Surgery' })
  await t.db('practices').where({ ods_code: 'A81001' }).update({ name: 'Riverside Surgery' })
  await createUser(t.db, { email: 'admin@ledger.test', password: TEST_PASSWORD, role: 'admin', practiceIds: [], displayName: 'Ada Admin' })
  ;({ server, browser, page } = await openBrowserSession(t.db, testConfig(t.url), consoleErrors))
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

describe('a bulk-capable source on /admin/sources', () => {
  it('is added with the $export box ticked, and switched back to paging from the list', { timeout: 60_000 }, async () => {
    await signIn(page, server.url, 'admin@ledger.test', TEST_PASSWORD)
    await page.goto(`${server.url}/admin/sources`)
    await page.getByRole('heading', { level: 1, name: 'Sources' }).waitFor()
    await page.getByLabel('Practice', { exact: true }).selectOption({ label: 'Riverside Surgery (A81001)' })
    await page.getByLabel('Name', { exact: true }).fill('Riverside EMIS')
    await page.getByLabel('FHIR base URL').fill('https://riverside.example/fhir')
    await page.getByLabel('The server offers FHIR Bulk Data $export').check()
    await page.getByRole('button', { name: 'Add source' }).click()
    await page.getByText('Added Riverside EMIS.').waitFor()
    const source = await t.db('sources').where({ name: 'Riverside EMIS' }).first()
    expect(source.bulk_export).toBe(true)
    const row = page.getByTestId(`source-${source.id}`)
    expect(await row.textContent()).toContain('Bulk $export')

    await row.getByRole('button', { name: 'Use paging for Riverside EMIS' }).click()
    await page.getByText('Backfills of Riverside EMIS now read page by page.').waitFor()
    expect((await t.db('sources').where({ id: source.id }).first()).bulk_export).toBe(false)
    expect(await page.getByTestId(`source-${source.id}`).textContent()).toContain('Page by page')
    const logged = await t.db('access_log').where({ action: 'admin_source_bulk_export' }).first()
    expect(logged).toMatchObject({ target: `source:${source.id}`, outcome: 'ok' })
    expect(consoleErrors).toEqual([])
  })
})
