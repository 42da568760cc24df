import { execFileSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureOrganisation } from '../../db/queries/organisations.js'
import { ensurePractice } from '../../db/queries/practices.js'
import { upsertDisclosures, upsertOverrideEvents } from '../../db/queries/records.js'
import { addSource } from '../../db/queries/sources.js'
import { createUser, type Role } from '../../db/queries/users.js'
import type { RunningServer } from '../../server.js'
import { TEST_PASSWORD } from '../support/app.js'
import { ensureAppBuilt, hydratedGoto, openBrowserSession, saveScreenshot, signIn } from '../support/browser.js'
import { alterPageText } from '../integration/reports/fixtures.js'
import { testConfig } from '../support/config.js'
import { useTestDatabase } from '../support/db.js'

const t = useTestDatabase()
let server: RunningServer
let browser: Browser
let page: Page
const consoleErrors: string[] = []
let eventId: number
const downloads = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-downloads-'))
const ODS = 'Y12345'

/** Twelve disclosures and one override event in March 2026 at one practice; a user of each role. */
async function seed() {
  const practice = await ensurePractice(t.db, { odsCode: ODS, name: 'Harbour Surgery' })
  const source = await addSource(t.db, { practiceId: practice.id, kind: 'fhir', name: 'Harbour FHIR', baseUrl: 'http://127.0.0.1:1/fhir' })
  const hospital = await ensureOrganisation(t.db, { odsCode: 'RX1', name: 'County Hospital', recipientType: 'nhs_trust' })
  await upsertDisclosures(
    t.db,
    Array.from({ length: 12 }, (_, i) => ({
      practice_id: practice.id,
      source_id: source.id,
      source_record_id: `ae-${i}`,
      source_version: '1',
      occurred_at: `2026-03-${String(i + 2).padStart(2, '0')}T10:00:00Z`,
      patient_pseudonym: `P-AAAA-BBBB-${String(i).padStart(4, '0')}`,
      recipient_id: hospital,
      purpose: 'direct_care',
      purpose_code: 'TREAT',
      legal_basis: null,
      data_level: 'identifiable' as const,
      data_description: null,
      disclosed_by_role: null,
      disclosed_by: null,
      run_id: null,
    })),
  )
  await upsertOverrideEvents(t.db, [
    {
      practice_id: practice.id,
      source_id: source.id,
      source_record_id: 'bg-1',
      source_version: '1',
      occurred_at: '2026-03-10T09:00:00Z',
      patient_pseudonym: 'P-7F3A-0001',
      kind: 'break_glass',
      reason_code: 'OVRER',
      purpose_code: 'ETREAT',
      legal_basis: 'vital_interests',
      actor_role: 'A&E registrar',
      actor: 'dr.patel',
      recipient_id: hospital,
      description: 'Emergency access',
      run_id: null,
    },
  ])
  eventId = Number((await t.db('override_events').first('id')).id)
  for (const role of ['auditor', 'practice_manager', 'caldicott_guardian'] as Role[]) {
    await createUser(t.db, {
      email: `${role}@harbour.nhs.uk`,
      password: TEST_PASSWORD,
      role,
      practiceIds: [practice.id],
      displayName: `Test ${role}`,
    })
  }
  await createUser(t.db, { email: 'admin@ledger.test', password: TEST_PASSWORD, role: 'admin', practiceIds: [], displayName: 'Ada Admin' })
}

beforeAll(async () => {
  ensureAppBuilt()
  await seed()
  ;({ server, browser, page } = await openBrowserSession(t.db, testConfig(t.url), consoleErrors))
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
  fs.rmSync(downloads, { recursive: true, force: true })
})

/** Waits for what the server does after the response has been sent (recording the download). */
async function until<T>(fn: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() > end) throw new Error('timed out waiting for the server')
    await new Promise((r) => setTimeout(r, 50))
  }
}

const LABELS = {
  audit: 'Audit evidence pack',
  commissioner: 'Commissioner report (aggregates, disclosure control)',
  incident: 'Incident review',
  annual: 'Annual Caldicott report (for the practice board)',
} as const

/** Fills the form, clicks "Produce and download", saves the file; returns its path, name and text. */
async function produce(p: Page, kind: keyof typeof LABELS, from: string, to: string) {
  await p.goto(`${server.url}/reports`)
  await p.getByLabel('Report', { exact: true }).selectOption({ label: LABELS[kind] })
  await p.getByLabel('From').fill(from)
  await p.getByLabel('To', { exact: true }).fill(to)
  if (kind === 'incident') await p.getByLabel('Override event number (incident review only)').fill(String(eventId))
  const [download] = await Promise.all([
    p.waitForEvent('download', { timeout: 60_000 }),
    p.getByRole('button', { name: 'Produce and download' }).click(),
  ])
  const file = path.join(downloads, `${crypto.randomUUID()}.pdf`)
  await download.saveAs(file)
  expect(await download.failure()).toBeNull()
  const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' })
  return { file, name: download.suggestedFilename(), text, sha256: crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex') }
}

/** The report recorded with exactly these bytes, and its access-log line (once the server has recorded them). */
async function recorded(sha256: string, email: string) {
  const report = await until(() => t.db('report_exports').where({ pdf_sha256: sha256 }).first())
  const logged = await until(() =>
    t
      .db('access_log')
      .where({ action: 'report_download', target: `report:${report.id}` })
      .first(),
  )
  expect(report.generated_by).toBe(email)
  expect(logged).toMatchObject({ actor: email, outcome: 'ok' })
  return report
}

const ALLOWED: Array<[Role, Array<keyof typeof LABELS>]> = [
  ['auditor', ['audit']],
  ['practice_manager', ['audit', 'commissioner', 'annual']],
  ['caldicott_guardian', ['audit', 'commissioner', 'incident', 'annual']],
  ['admin', ['audit', 'commissioner']],
]

describe('reports in a browser', () => {
  for (const [role, kinds] of ALLOWED) {
    it(`downloads every report a ${role} may produce, recorded and logged, and parses each back`, async () => {
      const context = await browser.newContext({
        viewport: { width: 1280, height: 900 },
        locale: 'en-GB',
        timezoneId: 'Europe/London',
        acceptDownloads: true,
      })
      const p = await context.newPage()
      const email = role === 'admin' ? 'admin@ledger.test' : `${role}@harbour.nhs.uk`
      await signIn(p, server.url, email, TEST_PASSWORD)
      await p.goto(`${server.url}/reports`)
      const offered = await p.getByLabel('Report', { exact: true }).locator('option').allTextContents()
      expect(offered).toEqual(kinds.map((k) => LABELS[k]))
      for (const kind of kinds) {
        const got = await produce(p, kind, '2026-03-01', '2026-03-31')
        if (kind === 'audit') {
          expect(got.name).toBe(`evidence-pack_${ODS}_2026-03-01_2026-03-31.pdf`)
          expect(got.text).toContain('Sharing Ledger: Audit evidence pack')
          expect(got.text).toContain('2026-03-01 – 2026-03-31')
          expect(got.text).toMatch(/Disclosures\s+12\b/)
          expect(got.text).toContain('4. Disclosure log')
        } else if (kind === 'commissioner') {
          expect(got.name).toBe(`commissioner-report_${ODS}_2026-03-01_2026-03-31.pdf`)
          expect(got.text).toContain('Sharing Ledger: Commissioner report')
          expect(got.text).toContain('2026-03-01 – 2026-03-31')
          expect(got.text).toMatch(/Total\s+10\b/) // 12 rounded to the nearest 5 (disclosure control)
        } else if (kind === 'annual') {
          expect(got.name).toBe(`annual-caldicott-report_${ODS}_2026-03-01_2026-03-31.pdf`)
          expect(got.text).toContain('Sharing Ledger: Annual Caldicott report')
          expect(got.text).toContain('10. Caldicott guardian sign-off')
          expect(got.text).not.toContain('P-7F3A-0001') // aggregates only: no pseudonym in a board paper
        } else {
          expect(got.name).toBe(`incident-review_${ODS}_event-${eventId}_2026-02-08_2026-04-09.pdf`)
          expect(got.text).toContain('Sharing Ledger: Incident review')
          expect(got.text).toContain('P-7F3A-0001')
        }
        const report = await recorded(got.sha256, email)
        expect(report.kind).toBe(kind)
      }
      // The list links each file, with its digest; the link gives back the same bytes.
      await p.goto(`${server.url}/reports`)
      const mine = await t.db('report_exports').where({ generated_by: email }).orderBy('generated_at', 'desc').first()
      const row = p.locator('tr', { has: p.getByText(mine.pdf_sha256, { exact: true }) })
      expect(await row.count()).toBe(1)
      const [again] = await Promise.all([p.waitForEvent('download'), row.getByRole('link', { name: /Download/ }).click()])
      const file = path.join(downloads, 'again.pdf')
      await again.saveAs(file)
      expect(crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex')).toBe(mine.pdf_sha256)
      await until(async () =>
        Number(
          (await t
            .db('access_log')
            .where({ action: 'report_download', target: `report:${mine.id}` })
            .count({ n: '*' })
            .first())!.n,
        ) === 2
          ? true
          : undefined,
      )
      await context.close()
    }, 180_000)
  }

  it('shows a period that ends before it starts at the field, with the values kept and the problem in focus; nothing produced', async () => {
    await signIn(page, server.url, 'practice_manager@harbour.nhs.uk', TEST_PASSWORD)
    await page.goto(`${server.url}/reports`)
    const before = Number((await t.db('report_exports').count({ n: '*' }).first())!.n)
    await page.getByLabel('Report', { exact: true }).selectOption({ label: LABELS.commissioner })
    await page.getByLabel('Harbour Surgery (Y12345)').check()
    await page.getByLabel('From').fill('2026-09-30')
    await page.getByLabel('To', { exact: true }).fill('2026-07-01')
    await page.getByRole('button', { name: 'Produce and download' }).click()
    await page.getByRole('alert').waitFor()
    expect(await page.getByRole('alert').textContent()).toContain('The last day of the period must be on or after the first day.')
    expect(await page.locator('#report-to-error').textContent()).toContain('The last day of the period must be on or after the first day.')
    expect(await page.getByLabel('To', { exact: true }).getAttribute('aria-invalid')).toBe('true')
    expect(await page.getByLabel('From').inputValue()).toBe('2026-09-30')
    expect(await page.getByLabel('To', { exact: true }).inputValue()).toBe('2026-07-01')
    expect(await page.getByLabel('Report', { exact: true }).inputValue()).toBe('commissioner')
    expect(await page.getByLabel('Harbour Surgery (Y12345)').isChecked()).toBe(true)
    // Focus is on the summary (GOV.UK pattern), whose link leads to the field.
    await page.waitForFunction(() => document.activeElement?.getAttribute('role') === 'alert')
    await page.getByRole('alert').getByRole('link').click()
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('report-to')
    await saveScreenshot(page, 'reports-form-error')
    expect(Number((await t.db('report_exports').count({ n: '*' }).first())!.n)).toBe(before)
    expect(consoleErrors).toEqual([])
  })

  it('works without JavaScript: an impossible date is named at its field, a valid request downloads', async () => {
    const context = await browser.newContext({
      javaScriptEnabled: false,
      acceptDownloads: true,
      locale: 'en-GB',
      timezoneId: 'Europe/London',
    })
    const p = await context.newPage()
    await p.goto(`${server.url}/login`)
    await p.getByLabel('E-mail address').fill('auditor@harbour.nhs.uk')
    await p.getByLabel('Password').fill(TEST_PASSWORD)
    await p.getByRole('button', { name: 'Sign in' }).click()
    await p.waitForURL((url) => !url.pathname.startsWith('/login'))
    await p.goto(`${server.url}/reports`)
    // Typed as text: a browser without a date picker sends what was typed.
    await p.getByLabel('From').evaluate((el: HTMLInputElement) => {
      el.type = 'text'
      el.value = '2026-02-30'
    })
    await p.getByLabel('To', { exact: true }).fill('2026-03-31')
    await p.getByRole('button', { name: 'Produce and download' }).click()
    await p.locator('#report-from-error').waitFor()
    expect(await p.locator('#report-from-error').textContent()).toContain('is not a real calendar date')
    expect(await p.getByLabel('To', { exact: true }).inputValue()).toBe('2026-03-31')
    const got = await produce(p, 'audit', '2026-03-01', '2026-03-31')
    expect(got.text).toMatch(/Disclosures\s+12\b/)
    await recorded(got.sha256, 'auditor@harbour.nhs.uk')
    await context.close()
  }, 120_000)

  it('checks a report by upload: genuine, re-saved by another program, and altered on a named page', async () => {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      locale: 'en-GB',
      timezoneId: 'Europe/London',
      acceptDownloads: true,
    })
    const p = await context.newPage()
    hydratedGoto(p)
    await signIn(p, server.url, 'auditor@harbour.nhs.uk', TEST_PASSWORD)
    const got = await produce(p, 'audit', '2026-03-01', '2026-03-31')
    const report = await recorded(got.sha256, 'auditor@harbour.nhs.uk')
    const resaved = path.join(downloads, 'resaved.pdf')
    execFileSync('qpdf', ['--linearize', got.file, resaved])
    const altered = alterPageText(got.file, 2)

    const check = async (file: string) => {
      await p.goto(`${server.url}/reports`)
      expect(await p.getByTestId('signing-key-fingerprint').textContent()).toMatch(/^[0-9a-f]{64}$/)
      await p.getByLabel('PDF file').setInputFiles(file)
      await p.getByRole('button', { name: 'Check', exact: true }).click()
      const verdict = p.locator('#verify-heading ~ div[aria-live] p')
      await verdict.waitFor()
      return (await verdict.textContent()) ?? ''
    }
    expect(await check(got.file)).toMatch(
      new RegExp(
        `^Genuine: audit report ${report.id} for ${ODS} 2026-03-01 to 2026-03-31.*recorded in this database with the same SHA-256$`,
      ),
    )
    expect(await check(resaved)).toMatch(new RegExp(`^Content unchanged, file re-saved: audit report ${report.id}`))
    expect(await check(altered)).toMatch(/^Altered: the text of page 2 differs from the signed report/)
    await saveScreenshot(p, 'reports-check-altered')
    const logged = await t
      .db('access_log')
      .where({ action: 'report_verify', actor: 'auditor@harbour.nhs.uk' })
      .orderBy('id')
      .select('outcome', 'target')
    expect(logged).toEqual([
      { outcome: 'ok', target: `report:${report.id}` },
      { outcome: 'ok', target: `report:${report.id}` },
      { outcome: 'failed', target: `report:${report.id}` },
    ])
    await context.close()
  }, 180_000)

  it('shows how far a report has got while the browser waits, then that it is ready', async () => {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      locale: 'en-GB',
      timezoneId: 'Europe/London',
      acceptDownloads: true,
    })
    const p = await context.newPage()
    hydratedGoto(p)
    await signIn(p, server.url, 'practice_manager@harbour.nhs.uk', TEST_PASSWORD)
    const polls: string[] = []
    p.on('request', (r) => {
      if (new URL(r.url()).pathname === '/reports/progress') polls.push(r.url())
    })
    const got = await produce(p, 'audit', '2026-03-01', '2026-03-31')
    await recorded(got.sha256, 'practice_manager@harbour.nhs.uk')
    const status = p.getByTestId('report-progress')
    await status.getByText('The report is ready: your browser is saving the file.').waitFor({ timeout: 30_000 })
    expect(polls.length).toBeGreaterThan(0)
    // the token the page made, and only its own user may read it
    const token = new URL(polls[0]!).searchParams.get('token')!
    expect(token).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    const mine = await p.request.get(`${server.url}/reports/progress?token=${token}`)
    expect(await mine.json()).toMatchObject({ finished: true, stage: 'Signing' })
    const other = await browser.newContext()
    const otherPage = await other.newPage()
    await signIn(otherPage, server.url, 'auditor@harbour.nhs.uk', TEST_PASSWORD)
    const theirs = await otherPage.request.get(`${server.url}/reports/progress?token=${token}`)
    expect(theirs.status()).toBe(404)
    expect((await otherPage.request.get(`${server.url}/reports/progress?token=not-a-token`)).status()).toBe(400)
    await other.close()
    await context.close()
  }, 180_000)
})
