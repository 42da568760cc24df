import AxeBuilder from '@axe-core/playwright'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedDemoAgreements } from '../../cli/demo-seed.js'
import { ensurePractice } from '../../db/queries/practices.js'
import { quarantineRecords } from '../../db/queries/records.js'
import { addSource } from '../../db/queries/sources.js'
import { createUser, type Role } from '../../db/queries/users.js'
import { collect } from '../../jobs/collect.js'
import { generateDataset } from '../../simulator/data.js'
import { startSimulator, type RunningSimulator } from '../../simulator/server.js'
import { NAV_ITEMS } from '../../app/lib/navigation.js'
import type { RunningServer } from '../../server.js'
import { TEST_PASSWORD } from '../support/app.js'
import { ensureAppBuilt, launchBrowser, saveScreenshot, signIn } from '../support/browser.js'
import { testConfig } from '../support/config.js'
import { useTestDatabase } from '../support/db.js'
import { startServer } from '../../server.js'

// Issue 13: every page each role can open, at a desktop and a phone width, checked by axe-core
// in the real browser (zero serious or critical violations) and for WCAG 1.4.10 reflow (the page
// never scrolls sideways), with dates written the UK way, and a screenshot of each to look at.

const t = useTestDatabase()
// Small, so 120 page checks stay within minutes on two shared cores; big enough that every
// chart, table and record page has rows.
const OPTIONS = { practices: 2, days: 12, seed: 1 }
let sim: RunningSimulator
let server: RunningServer
let browser: Browser
const ROLES: Role[] = ['practice_manager', 'caldicott_guardian', 'auditor', 'admin']
const WIDTHS = [
  { name: 'desktop', width: 1366, height: 900 },
  { name: 'phone', width: 390, height: 844 },
]
const ADMIN_PAGES = ['/admin/users', '/admin/sources', '/admin/agreements', '/admin/codes']
const records: string[] = []

beforeAll(async () => {
  ensureAppBuilt()
  sim = await startSimulator({ port: 0, ...OPTIONS })
  const practiceIds: number[] = []
  for (const p of sim.practices) {
    const practice = await ensurePractice(t.db, { odsCode: p.odsCode, name: p.name })
    practiceIds.push(practice.id)
    await addSource(t.db, {
      practiceId: practice.id,
      kind: 'fhir',
      name: `${p.name} clinical system`,
      baseUrl: p.fhirBaseUrl,
      expectedIntervalMinutes: 60,
    })
  }
  const config = testConfig(t.url)
  await seedDemoAgreements(t.db, generateDataset(OPTIONS))
  await collect({ db: t.db, target: { kind: 'postgres', url: t.url }, config }, { all: true })
  const source = await t.db('sources').where({ practice_id: practiceIds[0] }).first('id')
  const run = await t.db('job_runs').orderBy('id', 'desc').first('id')
  await quarantineRecords(t.db, [
    {
      sourceId: Number(source.id),
      recordKey: 'AuditEvent/ae-odd-1',
      resourceType: 'AuditEvent',
      reason: `AuditEvent has no purposeOfEvent code that maps to a known purpose (got v3-ActReason#${'X'.repeat(300)})`,
      payload: { resourceType: 'AuditEvent', id: 'ae-odd-1' },
      runId: Number(run.id),
    },
  ])
  for (const role of ROLES) {
    await createUser(t.db, {
      email: `${role}@ledger.test`,
      password: TEST_PASSWORD,
      role,
      practiceIds: role === 'admin' ? [] : practiceIds,
      displayName: `Test ${role.replace('_', ' ')}`,
    })
  }
  // One of each record page, with a seeded record.
  const id = async (table: string) => Number((await t.db(table).orderBy('id').first('id'))!.id)
  records.push(
    `/disclosures/${await id('disclosures')}`,
    `/findings/${await id('findings')}`,
    `/overrides/${await id('override_events')}`,
    `/jobs/quarantine/${await id('quarantine')}`,
  )
  server = await startServer({ port: 0, handle: { db: t.db, target: config.database, close: async () => {} }, config, quiet: true })
  browser = await launchBrowser()
}, 180_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
  await sim?.close()
})

function pagesFor(role: Role): string[] {
  const nav = NAV_ITEMS.filter((item) => !item.roles || item.roles.includes(role)).map((item) => item.to)
  return [...nav, '/disclosures/list', '/notifications', ...(role === 'admin' ? ADMIN_PAGES : []), ...records]
}

/** Serious and critical axe violations on the page as it stands, one line each. */
async function seriousViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'])
    .analyze()
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help} at ${v.nodes
          .slice(0, 3)
          .map((n) => n.target.join(' '))
          .join(', ')}`,
    )
}

/** How far the page scrolls sideways, and the outermost elements that stick out (to fix them). */
async function sidewaysOverflow(page: Page): Promise<{ by: number; culprits: string[] }> {
  return page.evaluate(() => {
    const by = document.documentElement.scrollWidth - window.innerWidth
    const sticksOut = (el: Element) => el.getBoundingClientRect().right > window.innerWidth + 1
    const culprits =
      by <= 0
        ? []
        : [...document.querySelectorAll('body *')]
            .filter((el) => sticksOut(el) && el.parentElement && !sticksOut(el.parentElement))
            .slice(0, 3)
            .map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')} "${(el.textContent ?? '').trim().slice(0, 40)}"`)
    return { by, culprits }
  })
}

async function check(page: Page, path: string, shot: string, problems: string[]) {
  const response = await page.goto(`${server.url}${path}`, { waitUntil: 'load' })
  expect(response?.status(), `${path} answered ${response?.status()}`).toBeLessThan(500)
  // Hydrated: the menu button exists only once React runs (signed-in pages have the menu).
  if (path !== '/login') await page.locator('.site-menu--foldable').waitFor({ state: 'attached' })
  // Charts draw after hydration: wait for them, so axe sees the page a person sees.
  await page.waitForFunction(() => [...document.querySelectorAll('.chart')].every((c) => c.querySelector('svg')), null, { timeout: 20_000 })
  const found = await seriousViolations(page)
  // Dates are written one way, the UK's ("6 Dec 2026", app/lib/format.ts): never ISO or US.
  const rawDates = await page.evaluate(() => {
    const walker = document.createTreeWalker(document.querySelector('main') ?? document.body, NodeFilter.SHOW_TEXT)
    const seen = new Set<string>()
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (n.parentElement?.closest('input, textarea, code, pre, script, style')) continue
      for (const m of n.textContent?.match(/\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}\/\d{1,2}\/\d{2,4}\b/g) ?? []) seen.add(m)
    }
    return [...seen].slice(0, 3)
  })
  if (rawDates.length > 0) found.push(`dates not written the UK way (formatDay): ${rawDates.join(', ')}`)
  const overflow = await sidewaysOverflow(page)
  if (overflow.by > 0) found.push(`the page scrolls sideways by ${overflow.by} px (${overflow.culprits.join('; ')})`)
  // Said as found, so a long run shows its problems before it ends.
  for (const problem of found) console.log(`${shot}: ${problem}`)
  problems.push(...found.map((problem) => `${shot}: ${problem}`))
  await saveScreenshot(page, `a11y-${shot}`)
}

async function newPage(width: (typeof WIDTHS)[number]): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: { width: width.width, height: width.height },
    locale: 'en-GB',
    timezoneId: 'Europe/London',
  })
  return { context, page: await context.newPage() }
}

describe('accessibility of every page, each role, desktop and phone', () => {
  it('the sign-in page', { timeout: 60_000 }, async () => {
    const problems: string[] = []
    for (const width of WIDTHS) {
      const { context, page } = await newPage(width)
      await check(page, '/login', `login-${width.name}`, problems)
      await context.close()
    }
    expect(problems).toEqual([])
  })

  for (const role of ROLES) {
    it(`every page a ${role} can open`, { timeout: 600_000 }, async () => {
      const problems: string[] = []
      for (const width of WIDTHS) {
        const { context, page } = await newPage(width)
        await signIn(page, server.url, `${role}@ledger.test`, TEST_PASSWORD)
        for (const path of pagesFor(role)) {
          await check(page, path, `${role}-${width.name}${path.replace(/\//g, '_') || '_'}`, problems)
        }
        await context.close()
      }
      expect(problems).toEqual([])
    })
  }

  it('at 390 px the menu folds behind a button that opens it and takes you to a page', { timeout: 60_000 }, async () => {
    const { context, page } = await newPage(WIDTHS[1]!)
    await signIn(page, server.url, 'auditor@ledger.test', TEST_PASSWORD)
    const nav = page.getByRole('navigation', { name: 'Main' })
    const menu = nav.getByRole('button', { name: 'Menu' })
    await menu.waitFor()
    expect(await menu.getAttribute('aria-expanded')).toBe('false')
    expect(await nav.getByRole('link', { name: 'Findings' }).isVisible()).toBe(false)
    await menu.focus()
    await page.keyboard.press('Enter')
    expect(await menu.getAttribute('aria-expanded')).toBe('true')
    await nav.getByRole('link', { name: 'Access log' }).waitFor({ state: 'visible' })
    await saveScreenshot(page, 'a11y-menu-open-phone')
    await nav.getByRole('link', { name: 'Findings' }).click()
    await page.waitForURL(/\/findings$/)
    await page.getByRole('heading', { level: 1 }).filter({ hasText: 'Compliance findings' }).waitFor()
    // The menu folds again on the new page.
    expect(await menu.getAttribute('aria-expanded')).toBe('false')
    await context.close()
  })
})
