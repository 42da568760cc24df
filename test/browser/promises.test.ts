import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { recordNotice } from '../../db/queries/notices.js'
import { ensureOrganisation } from '../../db/queries/organisations.js'
import { ensurePractice } from '../../db/queries/practices.js'
import { upsertDisclosures, type DisclosureRecord } from '../../db/queries/records.js'
import { addSource } from '../../db/queries/sources.js'
import { createUser } from '../../db/queries/users.js'
import { setFindingStatus } from '../../core/findings/status.js'
import { evaluateFindings } from '../../core/findings/evaluate.js'
import type { RunningServer } from '../../server.js'
import { TEST_PASSWORD } from '../support/app.js'
import { ensureAppBuilt, openBrowserSession, saveScreenshot, signIn, waitForPage } from '../support/browser.js'
import { testConfig } from '../support/config.js'
import { useTestDatabase } from '../support/db.js'

// A guardian opens /promises and sees each promise of the practice's notice with the verdict
// the planted records call for: broken by an open finding, kept with a reviewed exception,
// kept; and the practice with no notice is told so, on /promises and on the overview.

const t = useTestDatabase()
let server: RunningServer
let browser: Browser
let page: Page
const consoleErrors: string[] = []
const ASK =
  'Whenever there is such a purpose and your data is not anonymised we will always first contact you to ask for your permission to share your data.'

async function seed() {
  const practice = await ensurePractice(t.db, { odsCode: 'C81001', name: 'Promise Lane Surgery' })
  const silent = await ensurePractice(t.db, { odsCode: 'C81002', name: 'Unwritten Medical Centre' })
  const source = await addSource(t.db, {
    practiceId: practice.id,
    kind: 'fhir',
    name: 'Promise Lane FHIR',
    baseUrl: 'http://127.0.0.1:1/fhir',
  })
  const university = await ensureOrganisation(t.db, { odsCode: 'EE7', name: 'Lane University', recipientType: 'research_org' })
  const icb = await ensureOrganisation(t.db, { odsCode: 'QZZ', name: 'Lane ICB', recipientType: 'icb' })
  const user = await createUser(t.db, {
    email: 'guardian@lane.nhs.uk',
    password: TEST_PASSWORD,
    role: 'caldicott_guardian',
    practiceIds: [practice.id, silent.id],
    displayName: 'Dr Lane',
  })
  await recordNotice(t.db, practice.id, {
    title: 'How we share your information',
    inForceFrom: '2026-01-01',
    purposes: ['direct_care', 'research'],
    recipientTypes: null,
    processors: null,
    source: 'test',
    recordedBy: 'test',
    promises: [
      { promise: 'never_marketing_insurance', words: 'We would never share it for marketing or insurance purposes.' },
      { promise: 'opt_outs_respected', words: 'You have the right to opt out and we must respect your wishes.' },
      { promise: 'ask_before_identifiable_secondary', words: ASK },
      { promise: 'only_as_listed', words: 'The reasons why we may share your information could be for the following reasons' },
    ],
  })
  const rows: Array<[string, number, string, DisclosureRecord['data_level'], string | null]> = [
    ['2026-03-02T10:00:00Z', university, 'research', 'identifiable', 'implied_consent'], // secondary_without_consent
    ['2026-03-03T02:00:00Z', icb, 'commissioning', 'pseudonymised', null], // outside_notice: commissioning is not listed
    ['2026-03-04T10:00:00Z', university, 'research', 'identifiable', 's251'], // near miss
  ]
  await upsertDisclosures(
    t.db,
    rows.map(([occurredAt, recipientId, purpose, level, basis], i): DisclosureRecord => ({
      practice_id: practice.id,
      source_id: source.id,
      source_record_id: `ae-${i}`,
      source_version: '1',
      occurred_at: occurredAt,
      patient_pseudonym: `P-PROMISE-${i}`,
      recipient_id: recipientId,
      purpose,
      purpose_code: null,
      legal_basis: basis,
      data_level: level,
      data_description: null,
      disclosed_by_role: null,
      disclosed_by: null,
      run_id: null,
    })),
  )
  await evaluateFindings(t.db)
  const outside = await t.db('findings').where({ rule_id: 'outside_notice' }).first('id')
  await setFindingStatus(
    t.db,
    outside.id,
    'accepted',
    'The ICB extract is under the new notice being drafted; accepted by the guardian.',
    user.id,
  )
}

async function verdicts(ods: string): Promise<Record<string, string>> {
  const rows = page.getByTestId(`promises-${ods}`).locator('tbody tr')
  const out: Record<string, string> = {}
  for (const row of await rows.all()) {
    const id = (await row.getAttribute('data-testid'))!.replace(`promise-${ods}-`, '')
    out[id] = (await row.getByTestId('verdict').textContent())!.trim()
  }
  return out
}

beforeAll(async () => {
  ensureAppBuilt()
  await seed()
  ;({ server, browser, page } = await openBrowserSession(t.db, testConfig(t.url), consoleErrors))
}, 240_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

describe('promises page in a browser', () => {
  it('shows each promise of the notice in its own words with the verdict the records call for', { timeout: 180_000 }, async () => {
    await page.goto(server.url)
    await signIn(page, server.url, 'guardian@lane.nhs.uk', TEST_PASSWORD)
    // The overview tells the practice with no notice.
    expect(await page.getByTestId('no-notice').textContent()).toContain('Unwritten Medical Centre (C81002)')
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Promises' }).click()
    await waitForPage(page, '/promises')
    await page.getByLabel('From').fill('2026-03-01')
    await page.getByLabel('To').fill('2026-03-31')
    await page.getByRole('button', { name: 'Apply filters' }).click()
    await page.waitForURL(/from=2026-03-01&to=2026-03-31/)
    await page.getByRole('heading', { name: 'Promise Lane Surgery (C81001)' }).waitFor()

    expect(await verdicts('C81001')).toEqual({
      never_marketing_insurance: 'kept',
      opt_outs_respected: 'kept',
      ask_before_identifiable_secondary: 'broken 1 time',
      only_as_listed: 'kept with 1 exception, all reviewed',
    })
    const ask = page.getByTestId('promise-C81001-ask_before_identifiable_secondary')
    expect(await ask.locator('blockquote').textContent()).toBe(`“${ASK}”`)
    expect(await ask.textContent()).toContain('2 identifiable disclosures beyond care')
    expect(await page.getByTestId('promise-C81001-never_marketing_insurance').textContent()).toContain('3 disclosures')
    expect(await page.getByTestId('promises-C81002').getByTestId('no-notice').textContent()).toContain(
      'No privacy notice is recorded for this practice',
    )
    expect(await page.content()).not.toContain('P-PROMISE-')
    await saveScreenshot(page, 'promises')

    // Its finding is one click away.
    await ask.getByRole('link', { name: 'secondary_without_consent' }).click()
    await page.waitForURL(/\/findings\/list\?practice=C81001&rule=secondary_without_consent/)
    await page.getByRole('heading', { name: '1 findings' }).waitFor()
    const rows = page.locator('table', { has: page.locator('caption', { hasText: 'Findings, most severe first' }) }).locator('tbody tr')
    expect(await rows.count()).toBe(1)
    expect(await rows.first().textContent()).toContain(
      'Identifiable research data about patient P-PROMISE-0 was disclosed to Lane University on 2 Mar 2026 on implied consent only',
    )
    // The finding names the promise it checks, in the notice's words.
    await rows.first().getByRole('link').click()
    await page.getByRole('heading', { name: /Identifiable data used beyond care without permission/ }).waitFor()
    expect(await page.getByRole('link', { name: 'Asks permission before identifiable data is used beyond care' }).count()).toBe(1)
    expect(await page.locator('main').textContent()).toContain(`promises: “${ASK}”`)
    expect(consoleErrors).toEqual([])
  })

  it('a period before the notice shows no notice in force', { timeout: 120_000 }, async () => {
    await page.goto(`${server.url}/promises?from=2025-06-01&to=2025-12-31`)
    expect(await page.getByTestId('promises-C81001').getByTestId('no-notice').count()).toBe(1)
  })
})
