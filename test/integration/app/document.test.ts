import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createUser } from '../../../db/queries/users.js'
import { TEST_PASSWORD } from '../../support/app.js'
import { useTestDatabase } from '../../support/db.js'
import { seedDisclosures } from '../../support/ledger-seed.js'
import { startServerProcess, type ServerProcess } from '../../support/server-process.js'

// How a page leaves the server (app/entry.server.tsx, decision 045), over real HTTP: a page with
// every figure at hand is rendered whole and sent as one body with its length; the overview whose
// patient count is still being counted (deferred) is streamed to a browser, shell first, and sent
// complete to a crawler. Every inline script carries the response's CSP nonce either way.

const t = useTestDatabase()
let server: ServerProcess
let cookie: string
const EMAIL = 'guardian@document.example.nhs.uk'
const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36'
const CRAWLER = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)'

beforeAll(async () => {
  const { practiceId } = await seedDisclosures(
    t.db,
    ['2026-03-01T09:00:00Z', '2026-03-02T09:00:00Z', '2026-04-02T09:00:00Z'].map((occurredAt, i) => ({
      occurredAt,
      pseudonym: `P-DOC-${i}`,
    })),
  )
  await createUser(t.db, { email: EMAIL, password: TEST_PASSWORD, role: 'caldicott_guardian', practiceIds: [practiceId] })
  server = await startServerProcess(t.url)
  const res = await fetch(`${server.url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: server.url },
    body: new URLSearchParams({ email: EMAIL, password: TEST_PASSWORD, redirectTo: '/' }),
  })
  cookie = (res.headers.get('Set-Cookie') ?? '').split(';')[0]!
  expect(cookie).toMatch(/^__ledger_session=/)
}, 120_000)

afterAll(async () => {
  await server?.stop()
})

async function open(path: string, userAgent: string) {
  const res = await fetch(`${server.url}${path}`, {
    headers: { Cookie: cookie, 'User-Agent': userAgent },
    signal: AbortSignal.timeout(60_000),
  })
  const body = Buffer.from(await res.arrayBuffer())
  return { res, body, html: body.toString('utf8') }
}

/** Every inline script's nonce is the one the Content-Security-Policy header allows. */
function expectScriptsAllowed(res: Response, html: string) {
  const nonce = /'nonce-([^']+)'/.exec(res.headers.get('Content-Security-Policy') ?? '')?.[1]
  expect(nonce).toBeTruthy()
  const scripts = [...html.matchAll(/<script\b([^>]*)>/g)].map((m) => m[1]!)
  expect(scripts.length).toBeGreaterThan(0)
  for (const attributes of scripts) {
    if (/\bsrc=/.test(attributes)) continue
    expect(attributes).toContain(`nonce="${nonce}"`)
  }
}

describe('a page as sent', () => {
  it('with every figure at hand: rendered whole, one body with its length', { timeout: 60_000 }, async () => {
    const { res, body, html } = await open('/disclosures', BROWSER)
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Type')).toBe('text/html; charset=utf-8')
    expect(res.headers.get('Content-Length')).toBe(String(body.byteLength))
    expect(html.startsWith('<!DOCTYPE html><html lang="en-GB"')).toBe(true)
    expect(html.endsWith('</html>')).toBe(true)
    expect(html).toContain('>Hospital<')
    expectScriptsAllowed(res, html)
  })

  it(
    'with the patient count still being counted: streamed to a browser, the count arriving after the page',
    { timeout: 60_000 },
    async () => {
      const { res, html } = await open('/?from=2026-03-01&to=2026-03-31', BROWSER)
      expect(res.status).toBe(200)
      expect(res.headers.get('Content-Length')).toBeNull()
      expect(res.headers.get('Transfer-Encoding')).toBe('chunked')
      // The deferred count resolves in a script after the document.
      expect(html).toMatch(/__remixContext\.r\(\s*"routes\/_index",\s*"patients",\s*2/)
      expectScriptsAllowed(res, html)
      // Counted now: the same period again comes whole, the count inline.
      const again = await open('/?from=2026-03-01&to=2026-03-31', BROWSER)
      expect(again.res.headers.get('Content-Length')).toBe(String(again.body.byteLength))
      expect(again.html).toContain('"patients":2')
    },
  )

  it('with the patient count still being counted: sent complete to a crawler', { timeout: 60_000 }, async () => {
    const { res, html } = await open('/?from=2026-04-01&to=2026-04-30', CRAWLER)
    expect(res.status).toBe(200)
    expect(html.endsWith('</html>') || html.trimEnd().endsWith('</script>')).toBe(true)
    expect(html).toMatch(/"patients":\s*1|__remixContext\.r\(\s*"routes\/_index",\s*"patients",\s*1/)
    expectScriptsAllowed(res, html)
  })
})
