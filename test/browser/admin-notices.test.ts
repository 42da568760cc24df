import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { recordNotice } from '../../db/queries/notices.js'
import { ensureOrganisation } from '../../db/queries/organisations.js'
import { ensurePractice } from '../../db/queries/practices.js'
import { upsertDisclosures, type DisclosureRecord } from '../../db/queries/records.js'
import { addSource } from '../../db/queries/sources.js'
import { createUser } from '../../db/queries/users.js'
import { evaluateFindings } from '../../core/findings/evaluate.js'
import type { RunningServer } from '../../server.js'
import { TEST_PASSWORD } from '../support/app.js'
import { ensureAppBuilt, openBrowserSession, saveScreenshot, signIn } from '../support/browser.js'
import { testConfig } from '../support/config.js'
import { useTestDatabase } from '../support/db.js'

// An administrator records a new version of a practice's notice on /admin/notices that no
// longer lists research from 1 June: the research disclosure of June is then outside the
// notice, the one of May is not, and /promises says so for each month.

const t = useTestDatabase()
let server: RunningServer
let browser: Browser
let page: Page
const consoleErrors: string[] = []

beforeAll(async () => {
  ensureAppBuilt()
  const practice = await ensurePractice(t.db, { odsCode: 'D81001', name: 'Version Row Surgery' })
  const source = await addSource(t.db, {
    practiceId: practice.id,
    kind: 'fhir',
    name: 'Version Row FHIR',
    baseUrl: 'http://127.0.0.1:1/fhir',
  })
  const university = await ensureOrganisation(t.db, { odsCode: 'EE9', name: 'Row University', recipientType: 'research_org' })
  await createUser(t.db, { email: 'admin@row.nhs.uk', password: TEST_PASSWORD, role: 'admin', practiceIds: [], displayName: 'Row Admin' })
  await recordNotice(t.db, practice.id, {
    title: 'How we share your information',
    inForceFrom: '2026-01-01',
    purposes: ['direct_care', 'research'],
    recipientTypes: null,
    processors: null,
    source: 'test',
    recordedBy: 'test',
    promises: [{ promise: 'only_as_listed', words: 'The reasons why we may share your information could be for the following reasons' }],
  })
  await upsertDisclosures(
    t.db,
    ['2026-05-10T02:00:00Z', '2026-06-10T02:00:00Z'].map((occurredAt, i): DisclosureRecord => ({
      practice_id: practice.id,
      source_id: source.id,
      source_record_id: `ae-${i}`,
      source_version: '1',
      occurred_at: occurredAt,
      patient_pseudonym: `P-ROW-${i}`,
      recipient_id: university,
      purpose: 'research',
      purpose_code: null,
      legal_basis: null,
      data_level: 'pseudonymised',
      data_description: null,
      disclosed_by_role: null,
      disclosed_by: null,
      run_id: null,
    })),
  )
  await evaluateFindings(t.db)
  ;({ server, browser, page } = await openBrowserSession(t.db, testConfig(t.url), consoleErrors))
}, 240_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

const verdict = async (from: string, to: string) => {
  await page.goto(`${server.url}/promises?practice=D81001&from=${from}&to=${to}`)
  return (await page.getByTestId('promise-D81001-only_as_listed').getByTestId('verdict').textContent())!.trim()
}

describe('editing a privacy notice in a browser', () => {
  it('records a new version from the edited latest one, and findings change only from its first day', { timeout: 180_000 }, async () => {
    await signIn(page, server.url, 'admin@row.nhs.uk', TEST_PASSWORD)
    expect(await verdict('2026-06-01', '2026-06-30')).toBe('kept')
    await page.goto(`${server.url}/admin`)
    await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Privacy notices' }).click()
    await page.locator('#notice-practice').selectOption('D81001')
    await page.getByRole('button', { name: 'Show its notice' }).click()
    await page.getByTestId('notice-version-1').waitFor()

    // A mistake is refused, naming the field, and nothing is recorded.
    const box = page.getByLabel('The notice (YAML)')
    const latest = await box.inputValue()
    expect(latest).toContain('  - research\n')
    await box.fill(latest.replace('  - research\n', '  - reserch\n'))
    await page.getByRole('button', { name: 'Save as a new version' }).click()
    expect(await page.getByTestId('notice-error').textContent()).toContain('purposes[1]: "reserch" is not a purpose code')
    expect(await t.db('privacy_notices').count({ n: '*' }).first()).toEqual({ n: 1 })
    // The refused form is answered 400 on purpose; Chromium reports every 4xx fetch on the console.
    expect(consoleErrors.filter((m) => !m.includes('status of 400'))).toEqual([])
    consoleErrors.length = 0

    // Research removed from 1 June 2026.
    await box.fill(
      latest
        .replace('  - research\n', '')
        .replace(/in_force_from: .*\n/, 'in_force_from: 2026-06-01\n')
        .replace(/title: .*\n/, 'title: How we share your information (June 2026)\n'),
    )
    await page.getByRole('button', { name: 'Save as a new version' }).click()
    await page.getByText('Version 2 of the notice is recorded').waitFor()
    expect(await page.getByTestId('notice-version-2').textContent()).toContain('How we share your information (June 2026)')
    expect(await page.getByTestId('notice-version-1').textContent()).toContain('How we share your information')
    await saveScreenshot(page, 'admin-notices')

    expect(await verdict('2026-06-01', '2026-06-30')).toBe('broken 1 time')
    expect(await verdict('2026-05-01', '2026-05-31')).toBe('kept')
    const findings = await t.db('findings').where({ rule_id: 'outside_notice' }).select('summary')
    expect(findings.map((f) => f.summary)).toEqual([
      expect.stringContaining('P-ROW-1 was disclosed to Row University on 10 Jun 2026 for research'),
    ])
    expect(await t.db('access_log').where({ action: 'admin_notice_version' }).count({ n: '*' }).first()).toEqual({ n: 1 })
    expect(consoleErrors).toEqual([])
  })
})
