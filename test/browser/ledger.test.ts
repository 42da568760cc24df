import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCheckpoint, verifyIntegrity } from '../../db/ledger/index.js'
import { writeAccessLog } from '../../db/queries/access-log.js'
import { ensurePractice } from '../../db/queries/practices.js'
import { createUser } from '../../db/queries/users.js'
import type { RunningServer } from '../../server.js'
import { TEST_PASSWORD } from '../support/app.js'
import { ensureAppBuilt, openBrowserSession, signIn } from '../support/browser.js'
import { testConfig } from '../support/config.js'
import { useTestDatabase } from '../support/db.js'
import { startTestTsa, type TestTsa } from '../support/tsa.js'
import { timestamper } from '../../core/timestamp.js'

// Issue 16: the ledger's state where people look for it: /jobs and the access log page.

const t = useTestDatabase()
let server: RunningServer
let browser: Browser
let page: Page
const consoleErrors: string[] = []
let tsa: TestTsa

beforeAll(async () => {
  ensureAppBuilt()
  const practice = await ensurePractice(t.db, { odsCode: 'A81001', name: 'Riverside Surgery' })
  await createUser(t.db, { email: 'admin@ledger.test', password: TEST_PASSWORD, role: 'admin', practiceIds: [], displayName: 'Ada Admin' })
  await createUser(t.db, {
    email: 'manager@riverside.nhs.uk',
    password: TEST_PASSWORD,
    role: 'practice_manager',
    practiceIds: [practice.id],
    displayName: 'Pat Manager',
  })
  for (let i = 0; i < 3; i++) await writeAccessLog(t.db, { userId: null, actor: 'system', action: 'seed', target: `seed:${i}` })
  const config = testConfig(t.url)
  await verifyIntegrity(t.db, { runBy: 'scheduler' })
  // time-stamped by a real RFC 3161 authority (openssl ts on 127.0.0.1)
  tsa = await startTestTsa()
  await createCheckpoint(t.db, config.signingKey!, 'scheduler', timestamper(tsa.url))
  ;({ server, browser, page } = await openBrowserSession(t.db, config, consoleErrors))
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
  await tsa?.close()
})

describe('ledger status in the browser', () => {
  it('shows the last check and checkpoint on /jobs', async () => {
    await signIn(page, server.url, 'manager@riverside.nhs.uk', TEST_PASSWORD)
    await page.goto(`${server.url}/jobs`)
    const panel = page.getByTestId('ledger-status')
    await panel.getByRole('heading', { name: 'Tamper-evident ledger' }).waitFor()
    expect(await page.getByTestId('ledger-verified').textContent()).toMatch(/intact \(all chains, 3 entries, 3 rows; by scheduler\)/)
    const checkpoint = await page.getByTestId('ledger-checkpoint').textContent()
    expect(checkpoint).toMatch(/checkpoint 1, 1 chain, by scheduler/)
    expect(checkpoint).toContain(`; time-stamped `)
    expect(checkpoint).toContain(`by ${tsa.url}`)
    const schedules = await page
      .locator('table', { has: page.locator('caption', { hasText: 'Scheduled jobs' }) })
      .locator('tbody th')
      .allTextContents()
    expect(schedules).toContain('ledger-integrity')
  })

  it('shows a failed check on the access log page, with what happened to an administrator', async () => {
    // A superuser deletes an access-log entry behind the triggers' back; the nightly check runs.
    const victim = await t.db('access_log').where({ target: 'seed:1' }).first('id')
    await t.db.transaction(async (trx) => {
      await trx.raw('SET LOCAL session_replication_role = replica')
      await trx('access_log').where({ id: victim.id }).delete()
    })
    const run = await verifyIntegrity(t.db, { runBy: 'scheduler' })
    expect(run.intact).toBe(false)

    await page.context().clearCookies()
    await signIn(page, server.url, 'admin@ledger.test', TEST_PASSWORD)
    await page.goto(`${server.url}/audit-log`)
    await page.getByRole('heading', { level: 1, name: 'Access log' }).waitFor()
    expect(await page.getByTestId('ledger-verified').textContent()).toMatch(/NOT INTACT \(1 problem\)/)
    expect(await page.getByRole('list', { name: 'Ledger problems' }).textContent()).toContain(`access_log row ${victim.id} was deleted`)

    // A practice manager sees that the check failed, not the rows of other practices it names.
    await page.context().clearCookies()
    await signIn(page, server.url, 'manager@riverside.nhs.uk', TEST_PASSWORD)
    await page.goto(`${server.url}/jobs`)
    await page.getByTestId('ledger-status').waitFor()
    expect(await page.getByTestId('ledger-verified').textContent()).toMatch(/NOT INTACT \(1 problem\)/)
    expect(await page.getByRole('list', { name: 'Ledger problems' }).count()).toBe(0)
    expect(consoleErrors).toEqual([])
  })
})
