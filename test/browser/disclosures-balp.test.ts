import fs from 'node:fs'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureOrganisation } from '../../db/queries/organisations.js'
import { ensurePractice } from '../../db/queries/practices.js'
import { upsertDisclosures, type DisclosureRecord } from '../../db/queries/records.js'
import { addSource } from '../../db/queries/sources.js'
import { createUser } from '../../db/queries/users.js'
import type { RunningServer } from '../../server.js'
import { TEST_PASSWORD } from '../support/app.js'
import { balpSourceProblems } from '../support/balp-profile.js'
import { ensureAppBuilt, openBrowserSession, signIn } from '../support/browser.js'
import { testConfig } from '../support/config.js'
import { useTestDatabase } from '../support/db.js'

// A Caldicott guardian downloads the disclosures on /disclosures as IHE BALP AuditEvents
// (issue 18, decision 037): the file the browser saves is NDJSON, one AuditEvent per disclosure
// the page counts for its filters, and nothing of another practice.

const t = useTestDatabase()
let server: RunningServer
let browser: Browser
let page: Page
const consoleErrors: string[] = []

async function seed() {
  const a = await ensurePractice(t.db, { odsCode: 'A81001', name: 'Riverside Surgery' })
  const b = await ensurePractice(t.db, { odsCode: 'B82002', name: 'Hillside Practice' })
  const sourceA = await addSource(t.db, { practiceId: a.id, kind: 'fhir', name: 'Riverside FHIR', baseUrl: 'http://127.0.0.1:1/fhir' })
  const sourceB = await addSource(t.db, { practiceId: b.id, kind: 'fhir', name: 'Hillside FHIR', baseUrl: 'http://127.0.0.1:2/fhir' })
  const hospital = await ensureOrganisation(t.db, { odsCode: 'RX1', name: 'County Hospital', recipientType: 'nhs_trust' })
  const university = await ensureOrganisation(t.db, { odsCode: 'EE1', name: 'City University', recipientType: 'research_org' })
  const acme = await ensureOrganisation(t.db, { name: 'Acme Marketing Ltd', recipientType: 'private_provider' })
  await createUser(t.db, {
    email: 'guardian@riverside.nhs.uk',
    password: TEST_PASSWORD,
    role: 'caldicott_guardian',
    practiceIds: [a.id],
    displayName: 'Dr Guardian',
  })
  const start = Date.parse('2026-03-02T09:00:00Z')
  const row = (practice: number, source: number, key: string, i: number, recipient: number, purpose: string, basis: string | null) =>
    ({
      practice_id: practice,
      source_id: source,
      source_record_id: key,
      source_version: '1',
      occurred_at: new Date(start + i * 3_600_000).toISOString(),
      patient_pseudonym: `P-AAAA-BBBB-${String(1000 + (i % 7))}`,
      recipient_id: recipient,
      purpose,
      purpose_code: null,
      legal_basis: basis,
      data_level: purpose === 'research' ? 'pseudonymised' : 'identifiable',
      data_description: 'Summary care record',
      disclosed_by_role: null,
      disclosed_by: null,
      run_id: null,
    }) satisfies DisclosureRecord
  const rows: DisclosureRecord[] = []
  for (let i = 0; i < 30; i++) rows.push(row(a.id, sourceA.id, `dc${i}`, i, hospital, 'direct_care', 'implied_consent'))
  for (let i = 0; i < 4; i++) rows.push(row(a.id, sourceA.id, `rs${i}`, 40 + i, university, 'research', 's251'))
  for (let i = 0; i < 3; i++) rows.push(row(b.id, sourceB.id, `mk${i}`, i, acme, 'marketing', null))
  await upsertDisclosures(t.db, rows)
}

beforeAll(async () => {
  ensureAppBuilt()
  await seed()
  ;({ server, browser, page } = await openBrowserSession(t.db, testConfig(t.url), consoleErrors))
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

describe('downloading disclosures as BALP AuditEvents', () => {
  it('saves an NDJSON file of the page’s disclosures, one conforming AuditEvent each', { timeout: 60_000 }, async () => {
    await signIn(page, server.url, 'guardian@riverside.nhs.uk', TEST_PASSWORD)
    await page.goto(`${server.url}/disclosures?from=2026-03-01&to=2026-03-31&purpose=research`)
    await page.getByRole('heading', { name: '4 disclosures, from 1 Mar 2026 to 31 Mar 2026' }).waitFor()
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: /Download these disclosures as FHIR AuditEvents \(IHE BALP, NDJSON\)/ }).click(),
    ])
    expect(download.suggestedFilename()).toBe('disclosures-balp_A81001_2026-03-01_2026-03-31.ndjson')
    const lines = fs
      .readFileSync((await download.path())!, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
    const events = lines.map((l) => JSON.parse(l))
    expect(events).toHaveLength(4)
    for (const e of events) {
      expect(balpSourceProblems(e)).toEqual([])
      expect(e.purposeOfEvent[0].coding.map((c: { code: string }) => c.code)).toEqual(['HRESCH', 'research'])
      expect(e.agent[1].who).toMatchObject({ identifier: { value: 'EE1' }, display: 'City University' })
      expect(e.entity[0].what.identifier.value).toMatch(/^P-AAAA-BBBB-\d{4}$/)
    }
    expect(lines.join('\n')).not.toContain('Acme')

    // Without the purpose filter: every disclosure of the guardian's practice in the period.
    await page.goto(`${server.url}/disclosures?from=2026-03-01&to=2026-03-31`)
    await page.getByRole('heading', { name: '34 disclosures, from 1 Mar 2026 to 31 Mar 2026' }).waitFor()
    const [all] = await Promise.all([page.waitForEvent('download'), page.getByTestId('balp-download').click()])
    const allEvents = fs
      .readFileSync((await all.path())!, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
    expect(allEvents).toHaveLength(34)
    expect(new Set(allEvents.map((e) => e.agent[0].who.identifier.value))).toEqual(new Set(['A81001']))
    expect(consoleErrors).toEqual([])
  })
})
