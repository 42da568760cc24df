import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensurePractice } from '../../db/queries/practices.js'
import { createUser } from '../../db/queries/users.js'
import type { RunningServer } from '../../server.js'
import { TEST_PASSWORD } from '../support/app.js'
import { ensureAppBuilt, openBrowserSession, saveScreenshot, signIn, waitForPage } from '../support/browser.js'
import { testConfig } from '../support/config.js'
import { useTestDatabase } from '../support/db.js'
import { tableLocker, untilAQueryWaitsOnALock } from '../support/hold.js'

// What a person sees when the web process is too busy to start on their request (decision 044's
// gate, one request at a time here): a page that says so and opens the page by itself once there
// is room; and, inside the app, the same words in place of the page they were going to.

const t = useTestDatabase()
let server: RunningServer
let browser: Browser
let page: Page
let locker: ReturnType<typeof tableLocker>
const consoleErrors: string[] = []
const EMAIL = 'manager@busy.example.nhs.uk'

beforeAll(async () => {
  ensureAppBuilt()
  const practice = await ensurePractice(t.db, { odsCode: 'A81001', name: 'Riverside Surgery' })
  await createUser(t.db, { email: EMAIL, password: TEST_PASSWORD, role: 'practice_manager', practiceIds: [practice.id] })
  const config = { ...testConfig(t.url), requestConcurrency: 1, requestQueueTimeoutMs: 1_000 }
  ;({ server, browser, page } = await openBrowserSession(t.db, config, consoleErrors))
  locker = tableLocker(t.url)
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
  await locker?.close()
})

/** Takes the one turn: a signed-in page whose session check waits on a lock until `release`. */
async function holdTheTurn(cookie: string) {
  const release = await locker.lock(['user_practices'])
  const held = fetch(`${server.url}/`, { headers: { Cookie: cookie }, signal: AbortSignal.timeout(60_000) })
  await untilAQueryWaitsOnALock(t.db)
  return async () => {
    await release()
    const res = await held
    expect(res.status).toBe(200)
    await res.text()
  }
}

describe('a busy server', () => {
  it('shows a page that says so, then opens the page by itself once there is room', { timeout: 120_000 }, async () => {
    await signIn(page, server.url, EMAIL, TEST_PASSWORD)
    const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ')
    const release = await holdTheTurn(cookie)
    let released = false
    try {
      const response = await page.goto(`${server.url}/disclosures`)
      expect(response?.status()).toBe(503)
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('The service is busy')
      expect(await page.locator('main p').textContent()).toBe('Nothing was changed. This page will open by itself in 5 seconds.')
      await saveScreenshot(page, 'busy-page')
      await release()
      released = true
      // The page tries again by itself (Retry-After 5 s) and, with the turn free, opens.
      await waitForPage(page, '/disclosures')
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toMatch(/disclosures/i)
    } finally {
      if (!released) await release()
    }
  })

  it('inside the app, says so in place of the page, and the next try works', { timeout: 120_000 }, async () => {
    await page.goto(`${server.url}/`)
    await waitForPage(page, '/')
    const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ')
    const release = await holdTheTurn(cookie)
    let released = false
    try {
      await page.getByRole('navigation').getByRole('link', { name: 'Disclosures', exact: true }).click()
      await page.getByRole('heading', { name: 'The service is busy' }).waitFor()
      expect(await page.getByText('Nothing was changed: try again in a moment.').isVisible()).toBe(true)
      await release()
      released = true
    } finally {
      if (!released) await release()
    }
    // The address already says /disclosures (the app went there and showed the busy message).
    await page.getByRole('navigation').getByRole('link', { name: 'Disclosures', exact: true }).click()
    await page.getByRole('heading', { level: 1, name: /disclosures/i }).waitFor()
    expect(await page.getByText('The service is busy').count()).toBe(0)
    // The two busy answers, logged by the browser as any 503 is; nothing else.
    expect(consoleErrors.filter((e) => !/status of 503/.test(e))).toEqual([])
  })
})
