import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findNhsNumbers, isValidNhsNumber } from '../../../core/identifiers.js'
import { ensurePractice } from '../../../db/queries/practices.js'
import { addSource } from '../../../db/queries/sources.js'
import { collectSource } from '../../../jobs/collect.js'
import { importRegisterFile } from '../../../jobs/import-register.js'
import type { RunnerDeps } from '../../../jobs/runner.js'
import { startServer, type RunningServer } from '../../../server.js'
import { loadContext, signedInUser, type TestUser } from '../../support/app.js'
import { ensureAppBuilt } from '../../support/browser.js'
import { testConfig } from '../../support/config.js'
import { useTestDatabase } from '../../support/db.js'
import { searchset, startHttpServer, type TestHttpServer } from '../../support/http-server.js'

/**
 * Issue 12, finding 3, as an attacker would find it: a practice system and a register file that
 * put NHS numbers and the names of patients and relatives in every text field. After collecting
 * and importing them, nothing a practice manager can open (every page reachable by links, every
 * CSV, the PDF reports) holds a valid NHS number or a planted name.
 */

type Json = any
const t = useTestDatabase()
const fixture = (name: string): Json => JSON.parse(fs.readFileSync(new URL(`../../fixtures/fhir/${name}.json`, import.meta.url), 'utf8'))

/** Valid NHS numbers, each planted once. */
const NHS: string[] = []
for (let n = 943_476_6000; NHS.length < 40; n++) if (isValidNhsNumber(String(n))) NHS.push(String(n))
const grouped = (n: string, sep: string, groups = [3, 3, 4]) => {
  const parts: string[] = []
  let at = 0
  for (const g of groups) parts.push(n.slice(at, (at += g)))
  return parts.join(sep)
}
const NAMES = ['John Doe', 'Jane Doe', 'John Roe', 'Peter Poe', 'Ann Bloggs', 'Alice Miller', 'MILLER', 'Mary Moe']

const at = (minutes: number) => new Date(Date.UTC(2026, 2, 2, 9, minutes)).toISOString().replace('.000Z', 'Z')
let nextNhs = 0
const plant = () => {
  if (nextNhs >= NHS.length) throw new Error('plant more numbers')
  return NHS[nextNhs++]!
}

function disclosure(id: string, minutes: number, edit: (e: Json) => void): Json {
  const e = fixture('auditevent-nhs-disclosure')
  e.id = id
  e.meta = { versionId: '1', lastUpdated: at(minutes) }
  e.recorded = at(minutes)
  e.period = { start: at(minutes) }
  e.entity[0].what.identifier.value = plant() // the patient: pseudonymised, never shown
  edit(e)
  return e
}
const recipient = (e: Json) => e.agent[2]

const hostileAuditEvents = (): Json[] => [
  disclosure('h1', 1, (e) => (recipient(e).who = { reference: 'Patient/77', display: 'John Doe' })),
  disclosure('h2', 2, (e) => ((recipient(e).who = { display: 'Mrs Jane Doe (mother of patient)' }), (recipient(e).role = []))),
  disclosure('h3', 3, (e) => (recipient(e).who.identifier.value = plant())),
  disclosure(`h4-${plant()}`, 4, (e) => {
    e.meta.versionId = grouped(plant(), '-')
    recipient(e).who.display = `County Hospital re ${grouped(plant(), '.')}`
    e.entity[1].description = `Letter quoting ${grouped(plant(), '  ')} ${'and more '.repeat(200_000)}`
    e.agent[0].who.identifier.value = grouped(plant(), ' ', [5, 5])
    e.agent[0].role[0].text = `Secretary ${plant()}`
  }),
  disclosure('h5', 5, (e) => (e.purposeOfEvent[0].coding[0].code = `X-${plant()}`)),
  disclosure('h6', 6, (e) => ((recipient(e).who = { display: 'John Roe' }), (recipient(e).role = []))),
  disclosure('h7', 7, (e) => (e.agent[0].who = { display: 'Mary Moe (daughter of patient)' })),
  (() => {
    const b = fixture('auditevent-break-glass')
    b.meta = { versionId: '1', lastUpdated: at(8) }
    b.recorded = at(8)
    b.type.display = `Security Alert ${grouped(plant(), ' ')}`
    b.agent[0].who.identifier.value = plant()
    b.entity[0].what = { identifier: { system: 'https://fhir.nhs.uk/Id/nhs-number', value: plant() }, display: 'MILLER, Alice' }
    return b
  })(),
]

const REGISTER = [
  'reference,disclosed_at,nhs_number,recipient_name,recipient_ods,recipient_type,purpose,legal_basis,data_level,data_description,disclosed_by,disclosed_by_role',
  `R1,2026-03-04,${grouped(plant(), ' ')},Ms Ann Bloggs (daughter of patient),,solicitor,subject_access,explicit_consent,,Full record,A Patel,Secretary`,
  `R2,2026-03-04,${plant()},Cleveland Police,${grouped(plant(), '.')},police_judicial,legal,legal_obligation,,Records,A Patel,Secretary`,
  `R3,2026-03-04,${plant()},Cleveland Police,,police_judicial,legal,legal_obligation,,Records of ${grouped(plant(), '  ', [5, 5])},A Patel,Secretary`,
  `R4,2026-03-04,${plant()},Peter Poe,,solicitor,subject_access,,,Records,A Patel,Secretary`,
  `R5,2026-03-04,${plant()},Cleveland Police,,police_judicial,${grouped(plant(), '-')},,,Records,A Patel,Secretary`,
  `REF ${plant()},2026-03-04,${plant()},Cleveland Police,,police_judicial,legal,,,Records,A Patel,Secretary`,
  `R7,2026-03-04,${plant()},Cleveland Police,,police_judicial,legal,,,Records,${grouped(plant(), ' ')},Clerk ${plant()}`,
].join('\n')

let fhir: TestHttpServer
let app: RunningServer
let manager: TestUser
const found: Array<{ where: string; what: string }> = []
const visited = new Set<string>()

/** Everything a planted identifier could hide in: valid NHS numbers in any grouping, and the names. */
function scan(where: string, text: string) {
  for (const m of findNhsNumbers(text)) if (m.valid) found.push({ where, what: `NHS number …${text.slice(m.index, m.index + m.length)}…` })
  for (const n of NHS) {
    const m = new RegExp(n.split('').join('\\D{0,3}')).exec(text)
    if (m) found.push({ where, what: `planted number ${n} in …${text.slice(Math.max(0, m.index - 80), m.index + 40)}…` })
  }
  for (const name of NAMES) if (text.includes(name)) found.push({ where, what: `name ${name}` })
}

async function getAs(user: TestUser, pathAndQuery: string): Promise<Response> {
  return fetch(`${app.url}${pathAndQuery}`, { headers: { Cookie: user.cookie }, redirect: 'manual' })
}

beforeAll(async () => {
  ensureAppBuilt()
  const events = hostileAuditEvents()
  fhir = await startHttpServer((req, res) => {
    const stream = new URL(req.url!, 'http://x').pathname.split('/').pop()
    res.writeHead(200, { 'Content-Type': 'application/fhir+json' })
    res.end(JSON.stringify(searchset(stream === 'AuditEvent' ? events : [])))
  })
  const practice = await ensurePractice(t.db, { odsCode: 'A81001', name: 'Riverside Surgery' })
  const source = await addSource(t.db, {
    practiceId: practice.id,
    kind: 'fhir',
    name: 'Riverside FHIR',
    baseUrl: `${fhir.url}/fhir`,
    token: 't',
  })
  const config = testConfig(t.url)
  const deps: RunnerDeps = { db: t.db, target: { kind: 'postgres', url: t.url }, config }
  const collected = await collectSource(deps, source)
  expect(collected.error).toBeNull()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-register-'))
  fs.writeFileSync(path.join(dir, 'register.csv'), REGISTER)
  const imported = await importRegisterFile(deps, path.join(dir, 'register.csv'), 'A81001')
  expect(imported.status).toBe('completed')
  app = await startServer({ port: 0, handle: { db: t.db, target: config.database, close: async () => {} }, config, quiet: true })
  manager = await signedInUser(loadContext(t), 'practice_manager', ['A81001'])
}, 120_000)

afterAll(async () => {
  await app?.close()
  await fhir?.close()
})

describe('identifiers from hostile practice data', () => {
  it('were collected and imported: some loaded, the rest quarantined', async () => {
    const disclosures = await t.db('disclosures').count('* as n').first()
    const quarantined = await t.db('quarantine').count('* as n').first()
    // FHIR h1 h2 h4 h7 and register R1 load; h3 h5 h6 and R2 to R7 but R1 are quarantined.
    expect(Number(disclosures!.n)).toBe(5)
    expect(Number(quarantined!.n)).toBe(9)
    const stored =
      JSON.stringify(await t.db('disclosures').select()) +
      JSON.stringify(await t.db('organisations').select()) +
      JSON.stringify(await t.db('override_events').select())
    const reasons = JSON.stringify(await t.db('quarantine').select('reason', 'record_key'))
    scan('the database (records, recipients, reasons)', stored + reasons)
    expect(found).toEqual([])
  })

  it('reach no page, CSV or PDF a practice manager can open', async () => {
    const period = 'from=2026-03-01&to=2026-03-31'
    const queue = [
      '/',
      `/?${period}`,
      `/disclosures?${period}`,
      `/disclosures/list?${period}`,
      `/disclosures.csv?${period}`,
      `/disclosures/summary.csv?${period}`,
      `/overrides?${period}`,
      `/overrides.csv?${period}`,
      `/opt-outs?${period}`,
      `/opt-outs.csv?${period}`,
      '/findings',
      '/findings.csv',
      '/jobs',
      '/jobs.csv',
      '/jobs/quarantine.csv',
      '/reports',
    ]
    let pages = 0
    while (queue.length > 0 && visited.size < 400) {
      const next = queue.shift()!
      if (visited.has(next)) continue
      visited.add(next)
      const res = await getAs(manager, next)
      const body = await res.text()
      if (res.status !== 200) continue
      pages++
      scan(next, body)
      if (!(res.headers.get('content-type') ?? '').includes('html')) continue
      for (const [, href] of body.matchAll(/href="(\/[^"]*)"/g)) {
        const link = href!.replace(/&amp;/g, '&')
        if (link.startsWith('/build') || link.startsWith('/logout') || link.startsWith('//') || /\.(css|js|ico|png|svg)(\?|$)/.test(link))
          continue
        if (!visited.has(link)) queue.push(link)
      }
    }
    // The crawl reached the detail pages of what was loaded and quarantined, not only the lists.
    expect([...visited].some((p) => /^\/disclosures\/\d+/.test(p))).toBe(true)
    expect([...visited].some((p) => /^\/overrides\/\d+/.test(p))).toBe(true)
    expect([...visited].some((p) => /^\/jobs\/quarantine\/\d+/.test(p))).toBe(true)
    expect(pages).toBeGreaterThan(20)

    for (const kind of ['audit', 'commissioner']) {
      // The download as the browser asks for it (test/browser/reports.test.ts clicks the same form).
      const res = await fetch(`${app.url}/reports/download`, {
        method: 'POST',
        headers: { Cookie: manager.cookie, Origin: app.url, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf: manager.csrf, kind, from: '2026-03-01', to: '2026-03-31', practice: 'A81001' }),
        redirect: 'manual',
      })
      expect(res.headers.get('content-type')).toBe('application/pdf')
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-pdf-'))
      fs.writeFileSync(path.join(dir, 'r.pdf'), new Uint8Array(await res.arrayBuffer()))
      const text = execFileSync('pdftotext', ['-layout', path.join(dir, 'r.pdf'), '-'], { encoding: 'utf8' })
      // The audit pack lists the loaded disclosures: the PDF was read, not an empty file.
      if (kind === 'audit') expect(text).toContain('The patient or their representative')
      scan(`${kind} report PDF`, text)
    }
    expect(found).toEqual([])
  }, 300_000)
})
