import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Page } from 'playwright-core'
import type { Config } from '../../config/env.js'
import type { Db } from '../../db/client.js'
import { startServer, type RunningServer } from '../../server.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const SERVER_BUILD = path.join(ROOT, 'build/server/index.js')
const SCREENSHOTS = path.join(ROOT, 'test-output/screenshots')

/** Debian's Chromium, installed with apt. Never download a browser. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  })
}

/**
 * Runs `remix build` when the server build is missing or older than any source it was built
 * from (app/, remix.config.js and everything the last build bundled, such as db/queries), so a
 * browser test never checks yesterday's page. Called once, from the global setup: rebuilding
 * while another test file's server runs would swap the assets under its pages.
 */
export function buildAppIfStale(): void {
  if (!fs.existsSync(SERVER_BUILD) || newestSourceMtime() > fs.statSync(SERVER_BUILD).mtimeMs) {
    // The production build, as deployed: under vitest NODE_ENV is "test", and remix would emit
    // development JSX that a NODE_ENV=production server (npm start, the benchmark) cannot run.
    execFileSync(path.join(ROOT, 'node_modules/.bin/remix'), ['build'], {
      cwd: ROOT,
      stdio: 'pipe',
      env: { ...process.env, NODE_ENV: 'production' },
    })
  }
}

function newestSourceMtime(): number {
  const files = [path.join(ROOT, 'remix.config.js'), ...listFiles(path.join(ROOT, 'app'))]
  const metafile = path.join(ROOT, 'build/server/metafile.server.json')
  if (fs.existsSync(metafile)) {
    const inputs = Object.keys(JSON.parse(fs.readFileSync(metafile, 'utf8')).inputs as object)
    files.push(...inputs.map((input) => path.join(ROOT, input)).filter((file) => fs.existsSync(file)))
  }
  return Math.max(...files.map((file) => fs.statSync(file).mtimeMs))
}

function listFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
}

/** Browser test files call this: the global setup has already built the app. */
export function ensureAppBuilt(): void {
  if (!fs.existsSync(SERVER_BUILD)) throw new Error('The app is not built: run `npm run build` (npm test does it).')
}

/** Saves a full-page screenshot to test-output/screenshots/<name>.png and returns its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true })
  const file = path.join(SCREENSHOTS, `${name}.png`)
  await page.screenshot({ path: file, fullPage: true })
  return file
}

/**
 * Waits until the page at an address matching `pathname` (a string prefix or a pattern over
 * path + query) is hydrated and rendered (app/root.tsx marks <html data-rendered>). Use it after
 * a click that navigates client-side, before touching the new page's fields.
 */
export async function waitForPage(page: Page, pathname: string | RegExp): Promise<void> {
  const pattern = typeof pathname === 'string' ? `^${pathname.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}` : pathname.source
  const flags = typeof pathname === 'string' ? '' : pathname.flags
  await page.waitForFunction(
    ([p, f]) => {
      const rendered = document.documentElement.dataset.rendered
      return rendered !== undefined && new RegExp(p!, f).test(rendered)
    },
    [pattern, flags],
  )
}

/** Signs in through the real sign-in page and waits for the overview. */
export async function signIn(page: Page, baseUrl: string, email: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/login`)
  await page.getByLabel('E-mail address').fill(email)
  await page.getByLabel('Password').fill(password)
  await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/login'),
    page.getByRole('button', { name: 'Sign in' }).click(),
  ])
  await page.waitForURL((url) => !url.pathname.startsWith('/login'))
  // The address changes a moment before the new page renders (client-side navigation).
  await page.waitForFunction(() => document.querySelector('h1')?.textContent !== 'Sign in')
  await page.waitForFunction(() => !(document.documentElement.dataset.rendered ?? '/login').startsWith('/login'))
}

/**
 * The real server over this test file's database, and a Chromium page on it. Console errors
 * of the page are collected into `consoleErrors` (a test asserts it stays empty).
 */
export async function openBrowserSession(
  db: Db,
  config: Config,
  consoleErrors: string[],
): Promise<{ server: RunningServer; browser: Browser; page: Page }> {
  const server = await startServer({ port: 0, handle: { db, target: config.database, close: async () => {} }, config, quiet: true })
  const browser = await launchBrowser()
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'en-GB', timezoneId: 'Europe/London' })
  hydratedGoto(page)
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text())
  })
  return { server, browser, page }
}

/**
 * page.goto that also waits for the app to hydrate (a field typed into before hydration can be
 * reset by it). Pages the app does not render (a CSV, a PDF) resolve at once.
 */
export function hydratedGoto(page: Page): void {
  const goto = page.goto.bind(page)
  page.goto = async (url, options) => {
    const response = await goto(url, options)
    const type = response?.headers()['content-type'] ?? ''
    if (type.startsWith('text/html')) {
      await page.waitForFunction(
        () => document.documentElement.dataset.rendered !== undefined || !document.querySelector('script[type=module]'),
      )
    }
    return response
  }
}
