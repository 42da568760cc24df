import fs from 'node:fs'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findNhsNumbers } from '../../core/identifiers.js'
import { ensurePractice } from '../../db/queries/practices.js'
import { addSource } from '../../db/queries/sources.js'
import { createUser } from '../../db/queries/users.js'
import { collectSource } from '../../jobs/collect.js'
import type { RunningServer } from '../../server.js'
import { TEST_PASSWORD } from '../support/app.js'
import { ensureAppBuilt, openBrowserSession, saveScreenshot, signIn } from '../support/browser.js'
import { testConfig } from '../support/config.js'
import { useTestDatabase } from '../support/db.js'
import { searchset, startHttpServer, type TestHttpServer } from '../support/http-server.js'

/**
 * Issue 12, finding 3, in Chromium: what a practice manager sees of records a practice system
 * sent with a relative named as the recipient and NHS numbers in the free text.
 */

type Json = any
const t = useTestDatabase()
let fhir: TestHttpServer
let server: RunningServer
let browser: Browser
let page: Page
const consoleErrors: string[] = []

function hostileDisclosure(): Json {
  const e = JSON.parse(fs.readFileSync(new URL('../fixtures/fhir/auditevent-nhs-disclosure.json', import.meta.url), 'utf8'))
  e.id = 'hostile-1'
  e.agent[2].who = { display: 'Mrs Jane Doe (mother of patient)' }
  e.agent[2].role = []
  e.entity[1].description = 'Referral letter for 943 476 6044'
  e.agent[0].role[0].text = 'Secretary'
  e.agent[0].who.identifier.value = '943.476.6044'
  return e
}

function badOds(): Json {
  const e = hostileDisclosure()
  e.id = 'hostile-2'
  e.agent[2].who = { identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: '9434766044' }, display: 'Leeds' }
  return e
}

beforeAll(async () => {
  ensureAppBuilt()
  fhir = await startHttpServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/fhir+json' })
    res.end(JSON.stringify(searchset(req.url!.includes('/AuditEvent') ? [hostileDisclosure(), badOds()] : [])))
  })
  const practice = await ensurePractice(t.db, { odsCode: 'A81001', name: 'Riverside Surgery' })
  const source = await addSource(t.db, { practiceId: practice.id, kind: 'fhir', name: 'Riverside FHIR', baseUrl: `${fhir.url}/fhir` })
  const config = testConfig(t.url)
  const result = await collectSource({ db: t.db, target: { kind: 'postgres', url: t.url }, config }, source)
  expect(result.counts).toMatchObject({ read: 2, inserted: 1, quarantined: 1 })
  await createUser(t.db, {
    email: 'manager@riverside.nhs.uk',
    password: TEST_PASSWORD,
    role: 'practice_manager',
    practiceIds: [practice.id],
    displayName: 'Practice Manager',
  })
  ;({ server, browser, page } = await openBrowserSession(t.db, config, consoleErrors))
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
  await fhir?.close()
})

describe('collected identifiers in a browser', () => {
  it(
    'shows the relative as a recipient type and the numbers masked, and a reason that does not quote the number',
    { timeout: 120_000 },
    async () => {
      await signIn(page, server.url, 'manager@riverside.nhs.uk', TEST_PASSWORD)
      await page.goto(`${server.url}/disclosures/list?from=2026-03-01&to=2026-03-31`)
      await page.getByTestId('list-summary').filter({ hasText: 'of 1 disclosure' }).waitFor()
      await page
        .getByRole('link', { name: /^Details of disclosure / })
        .first()
        .click()
      await page.waitForURL(/\/disclosures\/\d+/)
      expect(await page.getByTestId('recipient').textContent()).toContain('The patient or their representative')
      // Named once: the type's label is the recipient's name, not repeated after it.
      expect((await page.getByTestId('recipient').textContent())!.split('The patient or their representative').length - 1).toBe(1)
      const detail = await page.locator('main').innerText()
      expect(detail).toContain('Referral letter for [NHS number removed]')
      expect(detail).toContain('Secretary, [NHS number removed]')
      expect(detail).not.toContain('Jane Doe')
      expect(findNhsNumbers(await page.content())).toEqual([])
      await saveScreenshot(page, 'collected-identifiers-disclosure')

      await page.goto(`${server.url}/jobs`)
      await page.getByText('recipient ODS code holds ten digits that could be an NHS number (not shown)').first().waitFor()
      expect(findNhsNumbers(await page.content())).toEqual([])
      expect(consoleErrors).toEqual([])
    },
  )
})
