import fs from 'node:fs'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningServer } from '../../server.js'
import { TEST_PASSWORD } from '../support/app.js'
import { ensureAppBuilt, hydratedGoto, openBrowserSession, saveScreenshot, signIn, waitForPage } from '../support/browser.js'
import { testConfig } from '../support/config.js'
import { seedDecisions } from '../support/decision-register-seed.js'
import { useTestDatabase } from '../support/db.js'

// Issue 17, part 3, as a guardian does it: Decisions from the menu, narrowed to one kind, and
// the CSV downloaded and read back: the same rows as the page, starting with a byte-order mark.

const t = useTestDatabase()
let server: RunningServer
let browser: Browser
let page: Page
const consoleErrors: string[] = []

beforeAll(async () => {
  ensureAppBuilt()
  await seedDecisions(t.db)
  ;({ server, browser, page } = await openBrowserSession(t.db, testConfig(t.url), consoleErrors))
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

/** RFC 4180: quoted fields may hold commas, doubled quotes and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"'
        i++
      } else if (c === '"') quoted = false
      else field += c
    } else if (c === '"') quoted = true
    else if (c === ',') {
      row.push(field)
      field = ''
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field)
      rows.push(row)
      row = []
      field = ''
      i++
    } else field += c
  }
  if (field || row.length) {
    row.push(field)
    rows.push(row)
  }
  return rows
}

describe('the decision register in a browser', () => {
  it('a guardian opens Decisions, narrows it to countersignatures, and downloads the same rows as CSV', async () => {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      locale: 'en-GB',
      timezoneId: 'Europe/London',
      acceptDownloads: true,
    })
    const p = await context.newPage()
    hydratedGoto(p)
    p.on('console', (m) => (m.type() === 'error' ? consoleErrors.push(m.text()) : undefined))
    await signIn(p, server.url, 'guardian@riverside.nhs.uk', TEST_PASSWORD)
    await p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Decisions' }).click()
    await waitForPage(p, '/register')
    expect(await p.getByRole('heading', { level: 2 }).first().textContent()).toBe('8 decisions')

    await p.getByLabel('Kind of decision').selectOption({ label: 'Countersignatures and declines' })
    await p.getByRole('button', { name: 'Apply filters' }).click()
    await waitForPage(p, /^\/register\?.*kind=countersignature/)
    await p.getByRole('heading', { name: '2 decisions' }).waitFor()
    const shown = await p
      .locator('table tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')))
    expect(shown).toHaveLength(2)
    expect(shown.map((r) => r[2])).toEqual(['Countersignature', 'Countersignature'])
    expect(shown[0]![4]).toBe('Declined to countersign (review: Not justified)')
    expect(shown[0]![6]).toBe('Morag Manager (Practice manager)')
    expect(shown.flat().join(' ')).not.toMatch(/Hillside|P-DEC-B1/)
    await saveScreenshot(p, 'decision-register-countersignatures')

    // The "about" link goes to the override the decision was on.
    expect(await p.locator('table tbody tr').first().getByRole('link').getAttribute('href')).toMatch(/^\/overrides\/\d+$/)

    const link = p.getByRole('link', { name: 'Download these 2 decisions as CSV' })
    expect(await link.getAttribute('href')).toMatch(/^\/register\.csv\?(.*&)?kind=countersignature(&|$)/)
    const [download] = await Promise.all([p.waitForEvent('download', { timeout: 60_000 }), link.click()])
    expect(download.suggestedFilename()).toMatch(/^decisions_A81001_all-dates-to_\d{4}-\d{2}-\d{2}\.csv$/)
    const bytes = fs.readFileSync((await download.path())!)
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    const [header, ...rows] = parseCsv(bytes.subarray(3).toString('utf8'))
    expect(header).toEqual(['decided_at', 'practice', 'kind', 'about', 'about_page', 'decision', 'reasons', 'by', 'by_role'])
    // Row for row, the page's columns: practice, kind, about, decision, reasons, who.
    expect(rows.map((r) => [r[1], r[2], r[3], r[5], r[6] || '–', `${r[7]} (${r[8]})`])).toEqual(
      shown.map((r) => [r[1], r[2], r[3], r[4], r[5], r[6]]),
    )
    expect(consoleErrors).toEqual([])
    await context.close()
  }, 180_000)

  it('is not offered to an administrator, and the page refuses one', async () => {
    await signIn(page, server.url, 'admin@ledger.nhs.uk', TEST_PASSWORD)
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Decisions' }).count()).toBe(0)
    expect((await page.goto(`${server.url}/register`))?.status()).toBe(403)
  }, 120_000)
})
