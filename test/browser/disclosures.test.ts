import fs from 'node:fs'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { finishRun, startRun } from '../../db/queries/job-runs.js'
import { ensureOrganisation } from '../../db/queries/organisations.js'
import { ensurePractice } from '../../db/queries/practices.js'
import { addAgreement } from '../../db/queries/agreements.js'
import { upsertDisclosures, upsertOverrideEvents, type DisclosureRecord } from '../../db/queries/records.js'
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

/**
 * Practice A81001, March 2026: direct care 55 (hospital 40, ambulance 15), safeguarding 3
 * (council), research 2 (university, pseudonymised); the ambulance disclosures name agreement
 * DSA-AMB-2026; patient P-DC-14 has one override. Practice B82002: 4 marketing disclosures
 * the guardian of A must never see.
 */
async function seed() {
  const a = await ensurePractice(t.db, { odsCode: 'A81001', name: 'Riverside Surgery' })
  const b = await ensurePractice(t.db, { odsCode: 'B82002', name: 'Hillside Practice' })
  const sourceA = await addSource(t.db, { practiceId: a.id, kind: 'fhir', name: 'Riverside FHIR', baseUrl: 'http://127.0.0.1:1/fhir' })
  const sourceB = await addSource(t.db, { practiceId: b.id, kind: 'fhir', name: 'Hillside FHIR', baseUrl: 'http://127.0.0.1:2/fhir' })
  const hospital = await ensureOrganisation(t.db, {
    odsCode: 'RX1',
    name: 'County Hospital NHS Foundation Trust',
    recipientType: 'nhs_trust',
  })
  const ambulance = await ensureOrganisation(t.db, { odsCode: 'RYA', name: 'West Ambulance Service', recipientType: 'ambulance_trust' })
  const council = await ensureOrganisation(t.db, { name: 'Riverside Borough Council', recipientType: 'local_authority' })
  const university = await ensureOrganisation(t.db, { odsCode: 'EE1', name: 'City University', recipientType: 'research_org' })
  const acme = await ensureOrganisation(t.db, { name: 'Acme Marketing Ltd', recipientType: 'private_provider' })
  await createUser(t.db, {
    email: 'guardian@riverside.nhs.uk',
    password: TEST_PASSWORD,
    role: 'caldicott_guardian',
    practiceIds: [a.id],
    displayName: 'Dr Guardian',
  })
  const run = await startRun(t.db, { jobName: 'collect', sourceId: sourceA.id, trigger: 'schedule', lockedBy: 'test' })
  await finishRun(t.db, run.id, 'completed', null)
  const row = (
    practice: number,
    source: number,
    key: string,
    at: number,
    recipient: number,
    purpose: string,
    legalBasis: string | null,
    level: DisclosureRecord['data_level'],
  ): DisclosureRecord => ({
    practice_id: practice,
    source_id: source,
    source_record_id: key,
    source_version: '2',
    occurred_at: new Date(at).toISOString(),
    // Direct-care patients recur (dc14, dc34 and dc54 are one patient), so a detail has context.
    patient_pseudonym: key.startsWith('dc') ? `P-DC-${Number(key.slice(2)) % 20}` : `P-${key.toUpperCase()}`,
    recipient_id: recipient,
    purpose,
    purpose_code: null,
    legal_basis: legalBasis,
    data_level: level,
    data_description: null,
    disclosed_by_role: null,
    disclosed_by: null,
    run_id: practice === a.id ? run.id : null,
  })
  const start = Date.parse('2026-03-02T09:00:00Z')
  const rows: DisclosureRecord[] = []
  for (let i = 0; i < 55; i++)
    rows.push(
      row(
        a.id,
        sourceA.id,
        `dc${i}`,
        start + i * 6 * 3_600_000,
        i < 40 ? hospital : ambulance,
        'direct_care',
        'implied_consent',
        'identifiable',
      ),
    )
  for (let i = 0; i < 3; i++)
    rows.push(
      row(
        a.id,
        sourceA.id,
        `sg${i}`,
        start + (i + 1) * 86_400_000,
        council,
        'safeguarding',
        i === 0 ? null : 'safeguarding_duty',
        'identifiable',
      ),
    )
  for (let i = 0; i < 2; i++)
    rows.push(row(a.id, sourceA.id, `rs${i}`, start + (i + 5) * 86_400_000, university, 'research', 's251', 'pseudonymised'))
  for (let i = 0; i < 4; i++) rows.push(row(b.id, sourceB.id, `mk${i}`, start + i * 86_400_000, acme, 'marketing', null, 'identifiable'))
  await upsertDisclosures(t.db, rows)
  const agreement = await addAgreement(t.db, {
    reference: 'DSA-AMB-2026',
    recipientId: ambulance,
    dataLevel: 'identifiable',
    validFrom: '2026-01-01',
    validTo: null,
    purposes: ['direct_care', 'emergency_care'],
    practiceIds: [a.id],
  })
  await t.db('disclosures').where({ practice_id: a.id, recipient_id: ambulance }).update({ agreement_id: agreement.id })
  await upsertOverrideEvents(t.db, [
    {
      practice_id: a.id,
      source_id: sourceA.id,
      source_record_id: 'ov1',
      source_version: '1',
      occurred_at: '2026-03-14T02:00:00Z',
      patient_pseudonym: 'P-DC-14',
      kind: 'break_glass',
      reason_code: 'OVRER',
      purpose_code: 'ETREAT',
      legal_basis: 'vital_interests',
      actor_role: 'Paramedic',
      actor: 'amb-9',
      recipient_id: ambulance,
      description: null,
      run_id: null,
    },
  ])
}

async function tableRows(caption: string): Promise<string[][]> {
  const table = page.locator('table', { has: page.locator('caption', { hasText: caption }) })
  return table
    .locator('tbody tr')
    .evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('th, td'), (cell) => cell.textContent?.trim() ?? '')))
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

describe('disclosures pages in a browser', () => {
  it('shows the summary as tables and draws the bar charts', async () => {
    await signIn(page, server.url, 'guardian@riverside.nhs.uk', TEST_PASSWORD)
    await page.goto(`${server.url}/disclosures?from=2026-03-01&to=2026-03-31`)
    expect(await page.locator('h1').textContent()).toBe('Disclosures')
    await page.getByRole('heading', { name: '60 disclosures, from 1 Mar 2026 to 31 Mar 2026' }).waitFor()
    expect(await tableRows('Disclosures by purpose, from')).toEqual([
      ['Direct care by the team and other providers caring for the patient', '55'],
      ['Serious harm to self, others or a child', '3'],
      ['Research', '2'],
    ])
    expect(await tableRows('Disclosures by purpose (rows) and recipient type')).toEqual([
      ['Direct care by the team and other providers caring for the patient', '40', '15', '0', '0', '55'],
      ['Serious harm to self, others or a child', '0', '0', '3', '0', '3'],
      ['Research', '0', '0', '0', '2', '2'],
    ])
    expect((await tableRows('Disclosures by legal basis')).map((r) => r.slice(0, 2))).toEqual([
      ['Implied consent for direct care', '55'],
      ['s251 approval (CAG)', '2'],
      ['Safeguarding duty', '2'],
      ['None recorded', '1'],
    ])
    // recharts 3 draws nothing on the server: an SVG here proves the page hydrated.
    await page.locator('.linked-bar-chart .recharts-surface').nth(1).waitFor({ state: 'visible' })
    expect(await page.locator('.linked-bar-chart').first().locator('.recharts-bar-rectangle').count()).toBe(3)
    expect(await page.locator('.linked-bar-chart').nth(1).locator('.recharts-bar-rectangle').count()).toBe(4)
    const html = await page.content()
    expect(html).not.toContain('Acme')
    expect(html).not.toContain('P-DC')
    await saveScreenshot(page, 'disclosures')
    expect(consoleErrors).toEqual([])
  })

  it('drills down from a purpose bar to the list filtered by that purpose, and pages through it', async () => {
    // The first bar of the purpose chart is direct care.
    await page.locator('.linked-bar-chart').first().locator('.recharts-bar-rectangle').first().click()
    await page.waitForURL((url) => url.pathname === '/disclosures/list' && url.searchParams.get('purpose') === 'direct_care')
    expect(new URL(page.url()).searchParams.get('from')).toBe('2026-03-01')
    await page.getByRole('heading', { name: 'Individual disclosures' }).waitFor()
    expect(await page.getByTestId('list-summary').textContent()).toBe('Showing 1–50 of 55 disclosures')
    expect(await page.getByRole('group', { name: 'Filters in use' }).textContent()).toContain('Purpose: Direct care')
    expect(await page.getByLabel('Purpose', { exact: true }).inputValue()).toBe('direct_care')
    const pages = page.getByRole('navigation', { name: 'Pages of disclosures' })
    expect(await pages.locator('[aria-current="page"]').textContent()).toBe('1')
    const rows = page.locator('table.disclosures-table tbody tr')
    expect(await rows.count()).toBe(50)
    // Newest first: the last direct-care disclosure, 54 x 6 hours after 2 Mar 09:00 UTC.
    expect(await rows.first().locator('td').first().textContent()).toBe('15 Mar 2026, 21:00')
    expect(await page.getByRole('link', { name: /Download all 55 disclosures as CSV/ }).getAttribute('href')).toBe(
      '/disclosures.csv?from=2026-03-01&to=2026-03-31&purpose=direct_care',
    )
    await saveScreenshot(page, 'disclosures-list')

    // The export downloads the same 55 rows the list pages through.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: /Download all 55 disclosures as CSV/ }).click(),
    ])
    // Named by what made it (issue 13): type, the guardian's one practice, the period.
    expect(download.suggestedFilename()).toBe('disclosures_A81001_2026-03-01_2026-03-31.csv')
    const csv = fs
      .readFileSync((await download.path())!, 'utf8')
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n')
    expect(csv).toHaveLength(56)
    expect(csv.slice(1).every((line) => line.includes('direct_care') || line.includes('Direct care'))).toBe(true)

    await pages.getByRole('link', { name: 'Page 2' }).click()
    await page.waitForURL(/page=2/)
    await page.getByTestId('list-summary').filter({ hasText: 'Showing 51–55 of 55 disclosures' }).waitFor()
    expect(await pages.locator('[aria-current="page"]').textContent()).toBe('2')
    expect(await rows.count()).toBe(5)
    expect(await rows.first().locator('td').first().textContent()).toBe('3 Mar 2026, 09:00')

    // Sorting by recipient (A to Z) puts the ambulance service after the hospital.
    await page.getByRole('link', { name: /^Recipient/ }).click()
    await page.waitForURL(/sort=recipient/)
    expect(new URL(page.url()).searchParams.get('page')).toBeNull()
    await page.getByTestId('list-summary').filter({ hasText: 'Showing 1–50 of 55' }).waitFor()
    expect(await page.locator('th[aria-sort="ascending"]').textContent()).toContain('Recipient')
    expect(await rows.first().locator('td').nth(3).textContent()).toContain('County Hospital NHS Foundation Trust')
    expect(consoleErrors).toEqual([])
  })

  it('drills down from a matrix cell with the keyboard, then opens a disclosure', async () => {
    await page.goto(`${server.url}/disclosures?from=2026-03-01&to=2026-03-31`)
    const cell = page.getByRole('link', {
      name: '15: Direct care by the team and other providers caring for the patient, to Ambulance trust',
    })
    // The tables' links are plain anchors; once hydrated they navigate without reloading the page.
    await page.locator('.linked-bar-chart .recharts-surface').first().waitFor({ state: 'visible' })
    await page.evaluate(() => ((window as unknown as { samePage: boolean }).samePage = true))
    await cell.focus()
    await page.keyboard.press('Enter')
    await page.waitForURL(
      (url) => url.searchParams.get('recipientType') === 'ambulance_trust' && url.searchParams.get('purpose') === 'direct_care',
    )
    await page.getByTestId('list-summary').filter({ hasText: 'Showing 1–15 of 15 disclosures' }).waitFor()
    expect(await page.evaluate(() => (window as unknown as { samePage?: boolean }).samePage)).toBe(true)
    expect(await page.getByRole('navigation', { name: 'Pages of disclosures' }).count()).toBe(0)

    await page
      .getByRole('link', { name: /^Details of disclosure/ })
      .first()
      .click()
    await page.waitForURL(/\/disclosures\/\d+/)
    await page.getByRole('heading', { name: 'Where this record came from' }).waitFor()
    expect(await page.getByTestId('recipient').textContent()).toBe('West Ambulance Service (ODS RYA), Ambulance trust')
    expect(await page.getByTestId('source').textContent()).toBe('Riverside FHIR: Practice system (FHIR)')
    expect(await page.getByTestId('source-record-id').textContent()).toBe('dc54')
    expect(await page.getByTestId('run').textContent()).toMatch(/^Run \d+ \(collect, started .+\): run history of this source$/)
    expect(await page.getByTestId('agreement-reference').textContent()).toBe('DSA-AMB-2026')
    expect(await page.getByTestId('agreement').textContent()).toContain('Covers this purposeYes: the purpose is listed')
    // The same patient's other disclosures (dc34, dc14) and their override, newest first.
    expect(await page.getByTestId('other-disclosures').getByRole('link').allTextContents()).toEqual([
      '10 Mar 2026, 21:00: Direct care by the team and other providers caring for the patient, to County Hospital NHS Foundation Trust',
      '5 Mar 2026, 21:00: Direct care by the team and other providers caring for the patient, to County Hospital NHS Foundation Trust',
    ])
    expect(await page.getByTestId('patient-overrides').textContent()).toContain('Emergency access without consent ("break glass") (OVRER)')
    await saveScreenshot(page, 'disclosure-detail')

    // Back to the same filtered list.
    await page.getByRole('link', { name: 'Back to the list of disclosures' }).click()
    await page.waitForURL((url) => url.pathname === '/disclosures/list' && url.searchParams.get('recipientType') === 'ambulance_trust')
    expect(consoleErrors).toEqual([])
  })

  it("answers another practice's disclosure and a bad filter in words, without a stack trace", async () => {
    const theirs = await t.db('disclosures').where({ source_record_id: 'mk0' }).first('id')
    const response = await page.goto(`${server.url}/disclosures/${theirs.id}`)
    expect(response?.status()).toBe(404)
    expect(await page.locator('h1').textContent()).toBe('Page not found')
    const bad = await page.goto(`${server.url}/disclosures/list?sort=password`)
    expect(bad?.status()).toBe(400)
    expect(await page.locator('main').textContent()).toContain('The list options are not valid')
  })
})
