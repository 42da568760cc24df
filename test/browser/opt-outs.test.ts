import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { recordPracticeListSizes, upsertOptOutCounts } from '../../db/queries/optout-counts.js'
import { ensurePractice } from '../../db/queries/practices.js'
import { upsertPatientChoices, type PatientChoiceRecord } from '../../db/queries/records.js'
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
 * Two practices over six months of 2026. Hillside (list size 400): Type 1 opt-outs grow by one
 * a month from January (one withdrawn in April), NDOP opt-outs recorded from March; NHS England
 * publications in January (20 of 400) and April (24 of 400). Valley (list size 1,000): 10 Type 1
 * opt-outs from February; one publication in March (45 of 1,000).
 */
async function seed() {
  const hillside = await ensurePractice(t.db, { odsCode: 'B82005', name: 'Hillside Medical Centre' })
  const valley = await ensurePractice(t.db, { odsCode: 'B82006', name: 'Valley Surgery' })
  await recordPracticeListSizes(t.db, [
    { practiceId: hillside.id, listSize: 400, asOf: '2026-04-01' },
    { practiceId: valley.id, listSize: 1000, asOf: '2026-04-01' },
  ])
  const source = await addSource(t.db, { practiceId: hillside.id, kind: 'fhir', name: 'Hillside FHIR', baseUrl: 'http://127.0.0.1:1/fhir' })
  const valleySource = await addSource(t.db, {
    practiceId: valley.id,
    kind: 'fhir',
    name: 'Valley FHIR',
    baseUrl: 'http://127.0.0.1:2/fhir',
  })
  const ndop = await addSource(t.db, { practiceId: null, kind: 'ndop_csv', name: 'NDOP publication' })
  let n = 0
  const choice = (
    practiceId: number,
    sourceId: number,
    patient: string,
    kind: 'ndop' | 'type1',
    at: string,
    decision: 'deny' | 'permit' = 'deny',
  ): PatientChoiceRecord => ({
    practice_id: practiceId,
    source_id: sourceId,
    source_record_id: `c-${++n}`,
    source_version: '1',
    patient_pseudonym: patient,
    kind,
    decision,
    effective_at: at,
    code_system: null,
    code: null,
    status: 'active',
    run_id: null,
  })
  const records: PatientChoiceRecord[] = []
  for (let m = 1; m <= 6; m++) records.push(choice(hillside.id, source.id, `H${m}`, 'type1', `2026-0${m}-10T10:00:00Z`))
  records.push(choice(hillside.id, source.id, 'H1', 'type1', '2026-04-15T10:00:00Z', 'permit'))
  for (let i = 0; i < 8; i++) records.push(choice(hillside.id, source.id, `N${i}`, 'ndop', `2026-03-0${1 + i}T10:00:00Z`))
  for (let i = 0; i < 10; i++) records.push(choice(valley.id, valleySource.id, `V${i}`, 'type1', '2026-02-03T10:00:00Z'))
  await upsertPatientChoices(t.db, records)
  const pub = (practiceId: number, asOf: string, optOuts: number, listSize: number) => ({
    practice_id: practiceId,
    kind: 'ndop' as const,
    origin: 'ndop_publication' as const,
    as_of: asOf,
    opt_outs: optOuts,
    list_size: listSize,
    source_id: ndop.id,
    run_id: null,
  })
  await upsertOptOutCounts(t.db, [
    pub(hillside.id, '2026-01-31', 20, 400),
    pub(hillside.id, '2026-04-30', 24, 400),
    pub(valley.id, '2026-03-31', 45, 1000),
  ])
  await createUser(t.db, {
    email: 'manager@hillside.nhs.uk',
    password: TEST_PASSWORD,
    role: 'practice_manager',
    practiceIds: [hillside.id, valley.id],
    displayName: 'Pat Manager',
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

async function tableRows(caption: string): Promise<string[][]> {
  const table = page.locator('table', { has: page.locator('caption', { hasText: caption }) })
  return table
    .locator('tbody tr')
    .evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('th, td'), (cell) => cell.textContent?.trim() ?? '')))
}

describe('opt-outs page in a browser', () => {
  it('shows the latest figures as a table and draws the monthly rates after hydration', async () => {
    await signIn(page, server.url, 'manager@hillside.nhs.uk', TEST_PASSWORD)
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Opt-outs' }).click()
    await page.waitForURL(/\/opt-outs$/)
    // The address changes before the new page renders: wait for it, or the old page's form gets the dates.
    await page.waitForFunction(() => document.querySelector('h1')?.textContent === 'Opt-outs')
    await page.getByLabel('From').fill('2026-01-01')
    await page.getByLabel('To').fill('2026-06-30')
    await page.getByRole('button', { name: 'Apply filters' }).click()
    await page.waitForURL(/from=2026-01-01&to=2026-06-30/)
    await page.getByTestId('opt-out-period').getByText('Monthly figures from Jan 2026 to Jun 2026').waitFor()
    expect(await tableRows('Opt-outs per practice as of 30 Jun 2026')).toEqual([
      ['Hillside Medical Centre (B82005)', '4001 Apr 2026', '24', '6.00%', '30 Apr 2026', '8', '2.00%', '5', '1.25%'],
      ['Valley Surgery (B82006)', '1,0001 Apr 2026', '45', '4.50%', '31 Mar 2026', '0', '0.00%', '10', '1.00%'],
    ])
    // recharts 3 draws nothing on the server: the SVG proves the page hydrated.
    await page.locator('.recharts-surface').first().waitFor({ state: 'visible' })
    expect(await page.locator('.recharts-line').count()).toBe(6)
    await saveScreenshot(page, 'opt-outs')
    expect(consoleErrors).toEqual([])
  })

  it('lists the monthly figures as a table beside the chart', async () => {
    await page.getByText('The monthly figures as a table').click()
    const rows = await tableRows('Opt-outs per practice at the end of each month')
    expect(rows).toHaveLength(12)
    expect(rows[3]).toEqual(['B82005', 'Apr 2026', '6.00% (30 Apr 2026)', '8', '2.00%', '3', '0.75%'])
    expect(rows[4]).toEqual(['B82005', 'May 2026', '–', '8', '2.00%', '4', '1.00%'])
  })

  it('draws one measure when asked, keeping the period', async () => {
    await page.getByLabel('Draw on the chart').selectOption('type1')
    await page.getByRole('button', { name: 'Apply filters' }).click()
    await page.waitForURL(/measure=type1/)
    expect(new URL(page.url()).searchParams.get('from')).toBe('2026-01-01')
    await page.waitForFunction(() => document.querySelectorAll('.recharts-line').length === 2)
    expect(await page.locator('.recharts-legend-item').allTextContents()).toEqual(['B82005 – Type 1', 'B82006 – Type 1'])
    expect(consoleErrors).toEqual([])
  })
})
