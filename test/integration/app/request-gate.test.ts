import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensurePractice } from '../../../db/queries/practices.js'
import { createUser } from '../../../db/queries/users.js'
import { TEST_PASSWORD } from '../../support/app.js'
import { useTestDatabase } from '../../support/db.js'
import { tableLocker, untilAQueryWaitsOnALock } from '../../support/hold.js'
import { startServerProcess, type ServerProcess } from '../../support/server-process.js'

// The request gate (decision 044) in a real server process, one request at a time
// (REQUEST_CONCURRENCY=1): a page held inside the server (its query waits on a table lock taken
// here) keeps the next request waiting; past REQUEST_QUEUE_TIMEOUT_MS that one is told "busy"
// (503, Retry-After) and nothing else breaks. A report being produced gives its turn up first.

const t = useTestDatabase()
let server: ServerProcess
let locker: ReturnType<typeof tableLocker>
const EMAIL = 'manager@gate.example.nhs.uk'

beforeAll(async () => {
  const practice = await ensurePractice(t.db, { odsCode: 'A81001', name: 'Riverside Surgery' })
  await createUser(t.db, { email: EMAIL, password: TEST_PASSWORD, role: 'practice_manager', practiceIds: [practice.id] })
  server = await startServerProcess(t.url, { REQUEST_CONCURRENCY: '1', REQUEST_QUEUE_TIMEOUT_MS: '1500' })
  locker = tableLocker(t.url)
}, 120_000)

afterAll(async () => {
  await server?.stop()
  await locker?.close()
})

function send(path: string, init: RequestInit & { cookie?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers)
  if (init.cookie) headers.set('Cookie', init.cookie)
  return fetch(`${server.url}${path}`, { redirect: 'manual', ...init, headers, signal: AbortSignal.timeout(60_000) })
}

async function signIn(): Promise<string> {
  const res = await send('/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email: EMAIL, password: TEST_PASSWORD, redirectTo: '/' }),
  })
  expect([302, 303]).toContain(res.status)
  const cookie = (res.headers.get('Set-Cookie') ?? '').split(';')[0]!
  expect(cookie).toMatch(/^__ledger_session=/)
  return cookie
}

describe('the request gate', () => {
  it(
    'keeps the next request waiting while the turn is taken, tells it "busy" after its wait, then serves again',
    { timeout: 120_000 },
    async () => {
      const cookie = await signIn()
      const release = await locker.lock(['user_practices'])
      let held: Promise<Response> | undefined
      try {
        // The session check reads user_practices: this page is held inside the server.
        held = send('/', { cookie })
        await untilAQueryWaitsOnALock(t.db)
        const started = Date.now()
        const waited = await send('/login')
        expect(waited.status).toBe(503)
        expect(waited.headers.get('Retry-After')).toBe('5')
        expect(await waited.text()).toMatch(/busy.*Nothing was changed/)
        expect(Date.now() - started).toBeGreaterThanOrEqual(1400)
        // The app's own data request is told the same, marked as the app's answer (the page shows it).
        const data = await send('/login?_data=routes%2Flogin')
        expect(data.status).toBe(503)
        expect(data.headers.get('X-Remix-Catch')).toBe('yes')
        expect(await data.text()).toMatch(/busy.*Nothing was changed/)
        // Outside the gate: the health check never waits.
        expect((await send('/healthz')).status).toBe(200)
      } finally {
        await release()
      }
      const page = await held!
      expect(page.status).toBe(200)
      expect(await page.text()).toContain('Riverside Surgery')
      // The turn was given back: the next request is served at once.
      const login = await send('/login')
      expect(login.status).toBe(200)
      await login.text()
    },
  )

  it('lets pages through while a report is being produced', { timeout: 120_000 }, async () => {
    const cookie = await signIn()
    const root = await send('/?_data=root', { cookie })
    const { csrf } = (await root.json()) as { csrf: string }
    // The evidence pack reads the disclosures and the findings: held there, after it gave its turn up.
    const release = await locker.lock(['disclosures', 'findings'])
    let report: Promise<Response> | undefined
    try {
      report = send('/reports/download', {
        method: 'POST',
        cookie,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: server.url },
        body: new URLSearchParams({ csrf, kind: 'audit', from: '2026-03-01', to: '2026-03-31', practice: 'A81001' }),
      })
      await untilAQueryWaitsOnALock(t.db)
      const page = await send('/login')
      expect(page.status).toBe(200)
      await page.text()
    } finally {
      await release()
    }
    const pdf = await report!
    expect(pdf.status).toBe(200)
    expect(pdf.headers.get('Content-Type')).toContain('application/pdf')
    expect(
      Buffer.from(await pdf.arrayBuffer())
        .subarray(0, 5)
        .toString(),
    ).toBe('%PDF-')
  })
})
