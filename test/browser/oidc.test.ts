import AxeBuilder from '@axe-core/playwright'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensurePractice } from '../../db/queries/practices.js'
import { startServer, type RunningServer } from '../../server.js'
import { ensureAppBuilt, hydratedGoto, launchBrowser, saveScreenshot, waitForPage } from '../support/browser.js'
import { useTestDatabase } from '../support/db.js'
import { oidcTestConfig, startTestProvider, type TestProvider } from '../support/oidc.js'
import { freePort } from '../support/server-process.js'

// Issue 18 part 3 in a real browser: "Sign in with NHS Care Identity" on the sign-in page, the
// provider's own login form (oidc-provider on 127.0.0.1, CIS2-style claims), back to the
// dashboard as the mapped role at the mapped practice, then "Sign out" ends the session here
// and at the provider and comes back to the sign-in page. A refused role gets a page that says why.

const t = useTestDatabase()
let provider: TestProvider
let server: RunningServer
let browser: Browser
let page: Page
const consoleErrors: string[] = []

beforeAll(async () => {
  ensureAppBuilt()
  await ensurePractice(t.db, { odsCode: 'A81001', name: 'Riverside Surgery' })
  await ensurePractice(t.db, { odsCode: 'A81002', name: 'Hillview Practice' })
  // The redirect address must be registered with the provider before either starts: pick the port first.
  const port = await freePort()
  const origin = `http://127.0.0.1:${port}`
  provider = await startTestProvider({ redirectUri: `${origin}/auth/oidc/callback`, postLogoutRedirectUri: `${origin}/login?signedOut=1` })
  const config = oidcTestConfig(t.url, provider.issuer, `${origin}/auth/oidc/callback`)
  server = await startServer({ port, handle: { db: t.db, target: config.database, close: async () => {} }, config, quiet: true })
  browser = await launchBrowser()
  // A page of its own context: axe needs one.
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB', timezoneId: 'Europe/London' })
  page = await context.newPage()
  hydratedGoto(page)
  page.on('console', (message) => {
    // Only our pages count: the provider's development pages are not ours to judge.
    if (message.type() === 'error' && page.url().startsWith(server.url)) consoleErrors.push(message.text())
  })
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
  await provider?.close()
})

/** Serious and critical axe violations on the page as it stands (as test/browser/accessibility.test.ts). */
async function seriousViolations(p: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page: p })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'])
    .analyze()
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help}`)
}

/** From the sign-in page through the provider's login form, as `login`. */
async function signInWithNhsCareIdentity(login: string, from = '/login'): Promise<void> {
  await page.goto(`${server.url}${from}`)
  if (from === '/login') {
    await saveScreenshot(page, 'oidc-sign-in-page')
    expect(await seriousViolations(page)).toEqual([])
  }
  await page.getByRole('link', { name: 'Sign in with NHS Care Identity' }).click()
  await page.waitForURL((url) => url.href.startsWith(provider.issuer))
  await page.getByPlaceholder('Enter any login').fill(login)
  await page.getByPlaceholder('and password').fill('any password')
  await page.getByRole('button', { name: 'Sign-in' }).click()
  // Back on our site: the page asked for, or the page that says why not.
  await page.waitForURL((url) => url.href.startsWith(server.url))
}

describe('sign-in with NHS Care Identity in the browser', () => {
  it('signs a Caldicott guardian in through the provider’s login form to the dashboard, then signs out here and at the provider', async () => {
    await signInWithNhsCareIdentity('guardian', '/login?redirectTo=%2Fdisclosures')
    await waitForPage(page, '/disclosures')
    await page.getByRole('heading', { level: 1, name: 'Disclosures' }).waitFor()
    // The header names the person and the role mapped from their selected CIS2 role.
    await expect.poll(() => page.locator('.site-header__user').textContent()).toContain('Dr Grace Guardian (Caldicott guardian)')
    // Their practice only: the practice picker offers Riverside Surgery and not Hillview.
    await page.goto(`${server.url}/`)
    await waitForPage(page, '/')
    const html = await page.content()
    expect(html).toContain('Riverside Surgery')
    expect(html).not.toContain('Hillview Practice')
    await saveScreenshot(page, 'oidc-signed-in')

    await Promise.all([
      page.waitForURL((url) => url.href.startsWith(provider.issuer)),
      page.getByRole('button', { name: 'Sign out' }).click(),
    ])
    // The provider asks to confirm its own sign-out, then sends the browser back to our sign-in page.
    await page.getByRole('button', { name: 'Yes, sign me out' }).click()
    await page.waitForURL((url) => url.href.startsWith(`${server.url}/login`))
    await page.getByTestId('signed-out').waitFor()
    expect(await page.getByTestId('signed-out').textContent()).toContain('signed out of Sharing Ledger and of NHS Care Identity')
    // The session is over: the dashboard asks to sign in again.
    await page.goto(`${server.url}/disclosures`)
    await page.waitForURL((url) => url.pathname === '/login')
    // And the provider's session is over too: the next sign-in shows its login form again (signInWithNhsCareIdentity fills it).
    await signInWithNhsCareIdentity('manager')
    await waitForPage(page, '/')
    await expect.poll(() => page.locator('.site-header__user').textContent()).toContain('Mo Manager (Practice manager)')
    // The session-timeout dialog's "Sign out" is a plain form post (no client-side routing): the
    // content security policy's form-action must let it end at the provider. Submitted natively here.
    await Promise.all([
      page.waitForURL((url) => url.href.startsWith(provider.issuer)),
      page.evaluate(() => {
        const csrf = document.querySelector<HTMLInputElement>('.site-header__user input[name=csrf]')!.value
        const form = document.createElement('form')
        form.method = 'post'
        form.action = '/logout'
        form.innerHTML = `<input type="hidden" name="csrf" value="${csrf}">`
        document.body.appendChild(form)
        form.submit()
      }),
    ])
    await page.getByRole('button', { name: 'Yes, sign me out' }).click()
    await page.getByTestId('signed-out').waitFor()
    expect(consoleErrors).toEqual([])
  })

  it('refuses an unmapped role with a page that says why, and signs nobody in', async () => {
    const context = await browser.newContext({ locale: 'en-GB' })
    page = await context.newPage()
    hydratedGoto(page)
    await signInWithNhsCareIdentity('receptionist')
    await page.getByRole('heading', { level: 1, name: 'You cannot sign in to Sharing Ledger with this role' }).waitFor()
    const said = await page.getByTestId('sign-in-refused').textContent()
    expect(said).toContain('Receptionist (S8000:G8000:R8009) at organisation A81001')
    expect(said).toContain('no role is given by default')
    await saveScreenshot(page, 'oidc-refused-role')
    expect(await seriousViolations(page)).toEqual([])
    await page.getByRole('link', { name: 'Back to sign in' }).click()
    await page.waitForURL((url) => url.pathname === '/login')
    await page.goto(`${server.url}/`)
    await page.waitForURL((url) => url.pathname === '/login')
    await context.close()
  })
})

describe('with passwords turned off (PASSWORD_SIGN_IN=off)', () => {
  it('offers only NHS Care Identity on the sign-in page, and refuses a password posted anyway', async () => {
    const config = oidcTestConfig(t.url, provider.issuer, `${server.url}/auth/oidc/callback`, { PASSWORD_SIGN_IN: 'off' })
    const off = await startServer({ port: 0, handle: { db: t.db, target: config.database, close: async () => {} }, config, quiet: true })
    const context = await browser.newContext({ locale: 'en-GB' })
    try {
      const p = await context.newPage()
      hydratedGoto(p)
      await p.goto(`${off.url}/login`)
      await p.getByRole('link', { name: 'Sign in with NHS Care Identity' }).waitFor()
      expect(await p.getByLabel('Password').count()).toBe(0)
      expect(await p.getByRole('button', { name: 'Sign in', exact: true }).count()).toBe(0)
      await saveScreenshot(p, 'oidc-passwords-off')
      // A password posted by hand (the same-origin form post the page no longer offers) is refused.
      const response = await p.request.post(`${off.url}/login`, {
        form: { email: 'someone@example.nhs.uk', password: 'a password of some length' },
        headers: { Origin: off.url },
      })
      expect(response.status()).toBe(403)
      expect(response.headers()['set-cookie']).toBeUndefined()
    } finally {
      await context.close()
      await off.close()
    }
  })
})
