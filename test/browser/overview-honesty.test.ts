import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { englandToday, periodPresets } from '../../core/period-presets.js'
import { ensureOrganisation } from '../../db/queries/organisations.js'
import { ensurePractice } from '../../db/queries/practices.js'
import { upsertDisclosures, type DisclosureRecord } from '../../db/queries/records.js'
import { addSource } from '../../db/queries/sources.js'
import { createUser } from '../../db/queries/users.js'
import type { RunningServer } from '../../server.js'
import { TEST_PASSWORD } from '../support/app.js'
import { ensureAppBuilt, openBrowserSession, saveScreenshot, signIn, waitForPage } from '../support/browser.js'
import { testConfig } from '../support/config.js'
import { useTestDatabase } from '../support/db.js'

// Issue 13, an honest overview: quick periods, part months marked on the trend, prohibited
// purposes and their recipients first, open high-severity findings first. The data is dated
// relative to today, as the quick periods are.

const t = useTestDatabase()
let server: RunningServer
let browser: Browser
let page: Page
const consoleErrors: string[] = []
const presets = Object.fromEntries(periodPresets(englandToday()).map((p) => [p.id, p]))

/** Noon UTC on day `day` of the month `back` months before this one. */
function monthsAgo(back: number, day: number): string {
  const now = new Date()
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - back, day, 12)).toISOString()
}

beforeAll(async () => {
  ensureAppBuilt()
  const practice = await ensurePractice(t.db, { odsCode: 'C83001', name: 'Meadow Surgery' })
  const source = await addSource(t.db, { practiceId: practice.id, kind: 'fhir', name: 'Meadow FHIR', baseUrl: 'http://127.0.0.1:1/fhir' })
  const hospital = await ensureOrganisation(t.db, { odsCode: 'RX2', name: 'Valley NHS Foundation Trust', recipientType: 'nhs_trust' })
  const marketer = await ensureOrganisation(t.db, { name: 'Acme Direct Marketing Ltd', recipientType: 'other' })
  const insurer = await ensureOrganisation(t.db, { name: 'Shield Life Insurance', recipientType: 'insurer' })
  await createUser(t.db, {
    email: 'guardian@meadow.nhs.uk',
    password: TEST_PASSWORD,
    role: 'caldicott_guardian',
    practiceIds: [practice.id],
    displayName: 'Dr Meadow',
  })
  // Direct care: 3 on the 10th of each of the last 14 months, and 1 on the 1st of this month
  // (00:30 UTC: already today, wherever in the day the test runs after it). One marketing and
  // one insurance disclosure last month.
  const rows: Array<[string, number, string]> = []
  for (let back = 14; back >= 1; back--) for (let i = 0; i < 3; i++) rows.push([monthsAgo(back, 10), hospital, 'direct_care'])
  const first = new Date()
  rows.push([new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), 1, 0, 30)).toISOString(), hospital, 'direct_care'])
  rows.push([monthsAgo(1, 12), marketer, 'marketing'])
  rows.push([monthsAgo(1, 13), insurer, 'insurance'])
  await upsertDisclosures(
    t.db,
    rows.map(([occurredAt, recipientId, purpose], i): DisclosureRecord => ({
      practice_id: practice.id,
      source_id: source.id,
      source_record_id: `d-${i}`,
      source_version: '1',
      occurred_at: occurredAt,
      patient_pseudonym: `P-HONEST-${i}`,
      recipient_id: recipientId,
      purpose,
      purpose_code: null,
      legal_basis: null,
      data_level: 'identifiable',
      data_description: null,
      disclosed_by_role: null,
      disclosed_by: null,
      run_id: null,
    })),
  )
  await t.db('findings').insert([
    {
      rule_id: 'prohibited_purpose',
      severity: 'high',
      practice_id: practice.id,
      subject_key: 'disclosure:closed',
      summary: 'Closed high finding',
      status: 'resolved',
      opened_at: monthsAgo(1, 20),
    },
    {
      rule_id: 'unreviewed_override',
      severity: 'medium',
      practice_id: practice.id,
      subject_key: 'override:1',
      summary: 'Open medium finding',
      opened_at: monthsAgo(1, 21),
    },
    {
      rule_id: 'prohibited_purpose',
      severity: 'high',
      practice_id: practice.id,
      subject_key: 'disclosure:open',
      summary: 'Open high finding',
      opened_at: monthsAgo(2, 1),
    },
  ])
  ;({ server, browser, page } = await openBrowserSession(t.db, testConfig(t.url), consoleErrors))
  await signIn(page, server.url, 'guardian@meadow.nhs.uk', TEST_PASSWORD)
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

describe('quick periods', () => {
  it('"Last month" sets From and To to last month and the page counts that month', async () => {
    await page.goto(`${server.url}/`)
    const last = presets['last-month']!
    const link = page.getByRole('navigation', { name: 'Quick periods' }).getByRole('link', { name: last.label })
    await link.click()
    await waitForPage(page, `/?from=${last.from}&to=${last.to}`)
    expect(await page.getByLabel('From', { exact: true }).inputValue()).toBe(last.from)
    expect(await page.getByLabel('To', { exact: true }).inputValue()).toBe(last.to)
    // 3 direct care, 1 marketing, 1 insurance last month.
    expect(await page.getByTestId('total-disclosures').textContent()).toBe('5')
    expect(
      await page.getByRole('navigation', { name: 'Quick periods' }).getByRole('link', { name: last.label }).getAttribute('aria-current'),
    ).toBe('true')
    expect(consoleErrors).toEqual([])
  })

  it('keeps the page’s other filters and goes back to the first page', async () => {
    await page.goto(`${server.url}/disclosures?purpose=direct_care&page=3`)
    const fy = presets['this-financial-year']!
    await page.getByRole('link', { name: fy.label }).click()
    await waitForPage(page, new RegExp(`^/disclosures\\?.*from=${fy.from}`))
    const url = new URL(page.url())
    expect(url.searchParams.get('purpose')).toBe('direct_care')
    expect(url.searchParams.get('page')).toBeNull()
    expect([url.searchParams.get('from'), url.searchParams.get('to')]).toEqual([fy.from, fy.to])
  })
})

describe('part months on the trend', () => {
  it('marks the first month (data starts on the 10th) and this month as part months, dashed and labelled', async () => {
    await page.goto(`${server.url}/`)
    const rows = await tableRows('Disclosures per month')
    expect(rows.length).toBe(15)
    const tagged = rows.map((r) => r[0]!.includes('part month'))
    expect(tagged[0]).toBe(true)
    expect(tagged[14]).toBe(true)
    expect(tagged.slice(1, 14).every((x) => !x)).toBe(true)
    expect(await page.getByTestId('part-period-note').textContent()).toContain('A dashed line leads to a part month')
    // The chart: a dashed line and "part month" written at both ends.
    const chart = page.locator('section[aria-labelledby="trend-heading"] .recharts-surface')
    await chart.waitFor({ state: 'visible' })
    expect(await chart.locator('path[stroke-dasharray="6 4"]').count()).toBe(2)
    expect(await chart.locator('text', { hasText: 'part month' }).count()).toBe(2)
    await saveScreenshot(page, 'overview-part-months')
  })

  it('marks nothing when the period is whole months in the past', async () => {
    // 13 whole months before this one: more than a year, so the trend is by month.
    const from = monthsAgo(13, 1).slice(0, 10)
    const to = presets['last-month']!.to
    await page.goto(`${server.url}/?from=${from}&to=${to}`)
    const rows = await tableRows('Disclosures per month')
    expect(rows.length).toBe(13)
    expect(rows.some((r) => r[0]!.includes('part month'))).toBe(false)
    expect(await page.getByTestId('part-period-note').count()).toBe(0)
    const chart = page.locator('section[aria-labelledby="trend-heading"] .recharts-surface')
    await chart.waitFor({ state: 'visible' })
    expect(await chart.locator('path[stroke-dasharray]').count()).toBe(0)
  })
})

describe('prohibited purposes and high-severity findings first', () => {
  it('the overview names marketing and insurance first, tagged, and the recipients that got them', async () => {
    await page.goto(`${server.url}/`)
    const purposes = await tableRows('Disclosures by purpose')
    expect(purposes.slice(0, 2).every((r) => r[0]!.includes('Prohibited purpose'))).toBe(true)
    expect(purposes.slice(0, 2).map((r) => r[0]!.split(' (')[0])).toEqual(['Insurance', 'Marketing'])
    expect(purposes[2]![0]).toContain('Direct care')
    const recipients = await tableRows('Disclosures by recipient')
    expect(recipients.slice(0, 2).map((r) => r[0])).toEqual([
      'Acme Direct Marketing LtdProhibited purpose: 1',
      'Shield Life InsuranceProhibited purpose: 1',
    ])
    expect(recipients[2]![0]).toBe('Valley NHS Foundation Trust')
    await saveScreenshot(page, 'overview-prohibited-first')
  })

  it('the disclosures page puts them first in the purpose x recipient type table', async () => {
    await page.goto(`${server.url}/disclosures`)
    const matrix = await tableRows('Disclosures by purpose (rows) and recipient type (columns)')
    expect(matrix.slice(0, 2).every((r) => r[0]!.includes('Prohibited purpose'))).toBe(true)
    const headers = await page.locator('table.disclosures-matrix thead th').evaluateAll((ths) => ths.map((th) => th.textContent?.trim()))
    // The recipient types that received them come before the NHS trust, which has far more.
    expect(headers.indexOf('NHS trust / foundation trust')).toBe(3)
    // On a phone the purposes stay readable and the columns scroll in their own box.
    await page.setViewportSize({ width: 390, height: 844 })
    try {
      const purposeCell = page.locator('table.disclosures-matrix tbody th').first()
      expect((await purposeCell.boundingBox())!.width).toBeGreaterThan(150)
      expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0)
      await saveScreenshot(page, 'disclosures-prohibited-first-phone')
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 })
    }
  })

  it('the findings list shows open high-severity findings first, then other open ones, then closed ones', async () => {
    await page.goto(`${server.url}/findings/list`)
    const rows = await tableRows('Findings, most severe first')
    expect(rows.map((r) => r[3])).toEqual(['Open high finding', 'Open medium finding', 'Closed high finding'])
    // rules by their titles, not their ids
    expect(rows.map((r) => r[1])).toEqual([
      'Disclosure for a prohibited purpose',
      expect.stringMatching(/override/i),
      'Disclosure for a prohibited purpose',
    ])
    expect(rows.flat().join(' ')).not.toMatch(/prohibited_purpose|unreviewed_override/)
    // On a phone the six columns scroll in their box, each wide enough to read.
    await page.setViewportSize({ width: 390, height: 844 })
    try {
      await page.goto(`${server.url}/findings/list`)
      const cell = page.getByRole('link', { name: 'Open medium finding' }).locator('xpath=ancestor::td')
      expect((await cell.boundingBox())!.width).toBeGreaterThan(120)
      expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0)
      await saveScreenshot(page, 'findings-phone')
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 })
    }
    expect(consoleErrors).toEqual([])
  })
})
