import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensurePractice } from '../../db/queries/practices.js'
import { createUser } from '../../db/queries/users.js'
import type { RunningServer } from '../../server.js'
import { TEST_PASSWORD } from '../support/app.js'
import { ensureAppBuilt, openBrowserSession, signIn } from '../support/browser.js'
import { testConfig } from '../support/config.js'
import { useTestDatabase } from '../support/db.js'

// Issue 12 in the browser: the content security policy lets the app's own scripts run (nonce)
// and nothing else, no other site can frame a page, and a session that has ended sends the
// person to sign in again.

const t = useTestDatabase()
let server: RunningServer
let browser: Browser
let page: Page
let attacker: http.Server
let attackerUrl: string
const consoleErrors: string[] = []

beforeAll(async () => {
  ensureAppBuilt()
  const practice = await ensurePractice(t.db, { odsCode: 'A81001', name: 'Riverside Surgery' })
  await createUser(t.db, {
    email: 'guardian@riverside.nhs.uk',
    password: TEST_PASSWORD,
    role: 'caldicott_guardian',
    practiceIds: [practice.id],
    displayName: 'Dr Guardian',
  })
  ;({ server, browser, page } = await openBrowserSession(t.db, testConfig(t.url), consoleErrors))
  // Another origin on this machine (same site, other port): it tries to frame our pages and to
  // inject a script.
  attacker = http.createServer((req, res) => {
    res.setHeader('Content-Type', 'text/html')
    res.end(
      `<!doctype html><title>Attacker</title><iframe id="victim" src="${server.url}${req.url === '/frame-review' ? '/overrides' : '/login'}" width="800" height="600"></iframe>`,
    )
  })
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve))
  attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
  await new Promise((resolve) => attacker?.close(resolve))
})

describe('security in the browser', () => {
  it('runs the app’s own scripts under the policy, with no violation, and refuses an injected inline script', async () => {
    const violations: string[] = []
    await page.exposeFunction('reportViolation', (v: string) => violations.push(v))
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) =>
        (window as unknown as { reportViolation(v: string): void }).reportViolation(`${e.violatedDirective} ${e.blockedURI}`),
      )
    })
    await signIn(page, server.url, 'guardian@riverside.nhs.uk', TEST_PASSWORD)
    // Signed in through the client-side form, and navigation works: the app's scripts ran.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Disclosures' }).click()
    await page.getByRole('heading', { level: 1, name: 'Disclosures' }).waitFor()
    expect(violations).toEqual([])
    // An inline script added to the page (as an XSS would) is refused by the policy.
    const ran = await page.evaluate(async () => {
      const s = document.createElement('script')
      s.textContent = 'window.__injected = true'
      document.body.appendChild(s)
      await new Promise((r) => setTimeout(r, 200))
      return (window as unknown as { __injected?: boolean }).__injected === true
    })
    expect(ran).toBe(false)
    await expect.poll(() => violations.length).toBeGreaterThan(0)
    expect(violations[0]).toMatch(/script-src/)
    expect(consoleErrors.filter((m) => !/Content Security Policy/.test(m))).toEqual([])
  })

  it('cannot be framed by another origin', async () => {
    // The signed-in person's cookies, in a second window that visits the other site.
    const context = await browser.newContext()
    await context.addCookies(await page.context().cookies())
    const attackerPage = await context.newPage()
    const blocked: string[] = []
    attackerPage.on('console', (m) => blocked.push(m.text()))
    for (const path of ['/', '/frame-review']) {
      await attackerPage.goto(`${attackerUrl}${path}`)
      await expect.poll(() => blocked.some((m) => /frame-ancestors/.test(m)), { timeout: 15_000 }).toBe(true)
      const frame = attackerPage.frames().find((f) => f !== attackerPage.mainFrame())
      // The framed document never rendered our page: no sign-in heading, no review queue.
      const text = frame ? await frame.evaluate(() => document.body?.innerText ?? '').catch(() => '') : ''
      expect(text).not.toMatch(/Sign in|Override/)
      blocked.length = 0
    }
    await context.close()
  })

  it('sends a person whose session was ended elsewhere back to sign in, then to where they were going', async () => {
    await page.goto(`${server.url}/disclosures`)
    await page.getByRole('heading', { level: 1, name: 'Disclosures' }).waitFor()
    await t.db('sessions').update({ ended_at: t.db.fn.now(), ended_reason: 'test: ended elsewhere' })
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Findings' }).click()
    await page.waitForURL(/\/login\?redirectTo=/)
    await page.getByLabel('E-mail address').fill('guardian@riverside.nhs.uk')
    await page.getByLabel('Password').fill(TEST_PASSWORD)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL(/\/findings/)
    await page.getByRole('heading', { level: 1, name: /Findings|Compliance findings/ }).waitFor()
  })
})
