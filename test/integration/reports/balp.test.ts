import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loader as balpLoader } from '../../../app/routes/disclosures[.]ndjson.js'
import { PURPOSE_OF_USE } from '../../../core/balp.js'
import { PSEUDONYM_SYSTEM, V3_ACT_REASON } from '../../../core/fhir-codes.js'
import type { Db } from '../../../db/client.js'
import { ensurePractice } from '../../../db/queries/practices.js'
import { addSource } from '../../../db/queries/sources.js'
import { collect } from '../../../jobs/collect.js'
import { balpNdjson, BALP_BATCH } from '../../../reports/balp.js'
import { startSimulator, type RunningSimulator } from '../../../simulator/server.js'
import { get, loadContext, respond, signedInUser } from '../../support/app.js'
import { balpSourceProblems } from '../../support/balp-profile.js'
import { testConfig } from '../../support/config.js'
import { createTestDatabase, useTestDatabase } from '../../support/db.js'
import { runLedger } from '../../support/processes.js'
import { TEST_PSEUDONYM_KEY } from '../../support/test-env.js'

type Json = any

// Disclosures out as IHE BALP PrivacyDisclosure AuditEvents (issue 18, part 1; decision 037):
// the file's shape against the profile, what it says about each disclosure, and the round trip
// through a FHIR server back into a fresh database.

const t = useTestDatabase()
let sim: RunningSimulator
let dir: string
const env = () => ({ DATABASE_URL: t.url, PSEUDONYM_KEY: TEST_PSEUDONYM_KEY, SCHEDULER: 'off' })

beforeAll(async () => {
  sim = await startSimulator({ port: 0, practices: 2, days: 40, seed: 11 })
  for (const p of sim.practices) {
    const practice = await ensurePractice(t.db, { odsCode: p.odsCode, name: p.name })
    await addSource(t.db, { practiceId: practice.id, kind: 'fhir', name: `${p.odsCode} sim`, baseUrl: p.fhirBaseUrl })
  }
  const results = await collect({ db: t.db, target: { kind: 'postgres', url: t.url }, config: testConfig(t.url) }, { all: true })
  expect(results.every((r) => r.status === 'completed')).toBe(true)
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'balp-'))
}, 120_000)
afterAll(async () => {
  await sim?.close()
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

const readNdjson = (file: string): Json[] =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l))

/** Disclosures counted three ways, as two databases can compare them (natural values, not ids). */
async function counts(db: Db, practiceOds: string) {
  const base = () => db('disclosures as d').join('practices as p', 'p.id', 'd.practice_id').where('p.ods_code', practiceOds)
  const byPurpose = await base().groupBy('d.purpose').orderBy('d.purpose').select('d.purpose').count('* as n')
  const byRecipient = await base()
    .join('organisations as o', 'o.id', 'd.recipient_id')
    .groupBy('o.ods_code', 'o.name', 'o.recipient_type')
    .orderBy(['o.name', 'o.ods_code'])
    .select('o.ods_code', 'o.name', 'o.recipient_type')
    .count('* as n')
  const byLegalBasis = await base().groupBy('d.legal_basis').orderBy('d.legal_basis').select('d.legal_basis').count('* as n')
  const byDataLevel = await base().groupBy('d.data_level').orderBy('d.data_level').select('d.data_level').count('* as n')
  return { byPurpose, byRecipient, byLegalBasis, byDataLevel }
}

/** A FHIR R4 server on 127.0.0.1 that serves `events` as AuditEvent search pages (and no Consents). */
async function serveAuditEvents(events: Json[]): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const count = Number(url.searchParams.get('_count') ?? 100)
    const offset = Number(url.searchParams.get('_offset') ?? 0)
    const all = url.pathname.endsWith('/AuditEvent') ? events : []
    const page = all.slice(offset, offset + count)
    const link = [{ relation: 'self', url: `${base}${url.pathname}${url.search}` }]
    if (offset + count < all.length) {
      const next = new URLSearchParams(url.searchParams)
      next.set('_offset', String(offset + count))
      link.push({ relation: 'next', url: `${base}${url.pathname}?${next}` })
    }
    const body = JSON.stringify({
      resourceType: 'Bundle',
      type: 'searchset',
      link,
      ...(page.length ? { entry: page.map((resource) => ({ resource, search: { mode: 'match' } })) } : {}),
    })
    res.writeHead(200, { 'Content-Type': 'application/fhir+json' })
    res.end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}/fhir`
  return { url: base, close: () => new Promise((resolve) => server.close(() => resolve())) }
}

describe('ledger export balp', () => {
  it('writes one PrivacyDisclosure AuditEvent per disclosure, each conforming to the profile', { timeout: 60_000 }, async () => {
    const ods = sim.practices[0]!.odsCode
    const file = path.join(dir, 'all.ndjson')
    const run = await runLedger(['export', 'balp', '--practice', ods, '--out', file], env())
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toMatch(/Wrote [\d,]+ BALP AuditEvents/)
    const events = readNdjson(file)
    const rows = await t
      .db('disclosures as d')
      .join('practices as p', 'p.id', 'd.practice_id')
      .join('organisations as o', 'o.id', 'd.recipient_id')
      .join('sources as s', 's.id', 'd.source_id')
      .where('p.ods_code', ods)
      .select('d.*', 'o.ods_code as recipient_ods', 'o.name as recipient_name', 'o.recipient_type', 's.base_url')
    expect(rows.length).toBeGreaterThan(100)
    expect(events).toHaveLength(rows.length)
    expect(fs.existsSync(`${file}.partial`)).toBe(false)

    const byId = new Map(rows.map((r) => [`disclosure-${r.id}`, r]))
    const text = fs.readFileSync(file, 'utf8')
    // Never an NHS number: no NHS number system, and no run of ten digits anywhere.
    expect(text).not.toContain('https://fhir.nhs.uk/Id/nhs-number')
    expect(text).not.toMatch(/(?<!\d)\d{10}(?!\d)/)
    let previous = ''
    for (const e of events) {
      expect(balpSourceProblems(e), e.id).toEqual([])
      const row = byId.get(e.id)!
      expect(row, e.id).toBeDefined()
      expect(e.recorded >= previous).toBe(true) // oldest first
      previous = e.recorded
      expect(e.recorded).toBe(new Date(row.occurred_at).toISOString())
      // The patient: the pseudonym, in our own system.
      const patient = e.entity.find((x: Json) => x.role?.code === '1')
      expect(patient.what).toEqual({ type: 'Patient', identifier: { system: PSEUDONYM_SYSTEM, value: row.patient_pseudonym } })
      // The recipient, with its ODS code where it has one, and its type.
      const recipient = e.agent.find((a: Json) => a.type.coding[0].code === '110152')
      expect(recipient.who.display).toBe(row.recipient_name)
      if (row.recipient_ods) {
        expect(recipient.who.identifier).toEqual({ system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: row.recipient_ods })
      } else expect(recipient.who.identifier).toBeUndefined()
      expect(recipient.role[0].coding[0]).toMatchObject({ system: 'urn:sharing-ledger:recipient-type', code: row.recipient_type })
      // The purpose: v3 PurposeOfUse where one maps, always our own code beside it.
      const purposeCodings = e.purposeOfEvent[0].coding
      const v3 = PURPOSE_OF_USE[row.purpose]
      if (v3) expect(purposeCodings[0]).toMatchObject({ system: V3_ACT_REASON, code: v3.code })
      else expect(purposeCodings.some((c: Json) => c.system === V3_ACT_REASON)).toBe(false)
      expect(purposeCodings.at(-1)).toMatchObject({ system: 'urn:sharing-ledger:purpose', code: row.purpose })
      // The legal basis and the data level as codings.
      const basis = e.purposeOfEvent.flatMap((c: Json) => c.coding).find((c: Json) => c.system === 'urn:sharing-ledger:legal-basis')
      expect(basis?.code ?? null).toBe(row.legal_basis)
      const data = e.entity.find((x: Json) => x.role?.code === '4')
      expect(data.securityLabel[0]).toMatchObject({ system: 'urn:sharing-ledger:data-level', code: row.data_level })
      // Back to the original record: meta.source is the practice system, the entity the record in it.
      expect(e.meta.source).toBe(row.base_url)
      const original = e.entity.find((x: Json) => x.role?.code === '17')
      expect(original.what.reference).toBe(`${row.base_url}/AuditEvent/${encodeURIComponent(row.source_record_id)}`)
      expect(original.what.identifier).toEqual({ system: `urn:sharing-ledger:source:${row.source_id}`, value: row.source_record_id })
    }
    // The simulator's data has what the checks above must have seen.
    expect(new Set(rows.map((r) => r.legal_basis)).size).toBeGreaterThan(1)
    expect(rows.some((r) => r.recipient_ods === null)).toBe(true)
    expect(rows.some((r) => PURPOSE_OF_USE[r.purpose] === undefined)).toBe(true)

    const log = await t.db('access_log').where({ action: 'export', target: 'balp' }).orderBy('id', 'desc').first()
    expect(log.detail.rows).toBe(rows.length)
  })

  it('applies the same filters and period as /disclosures, and refuses a bad one at its option', { timeout: 60_000 }, async () => {
    const ods = sim.practices[0]!.odsCode
    const file = path.join(dir, 'research.ndjson')
    const expected = await t
      .db('disclosures as d')
      .join('practices as p', 'p.id', 'd.practice_id')
      .where({ 'p.ods_code': ods, 'd.purpose': 'direct_care' })
      .whereRaw(`d.occurred_at >= ('2026-10-01'::date::timestamp AT TIME ZONE 'Europe/London')`)
      .count('* as n')
      .first()
    const run = await runLedger(
      ['export', 'balp', '--practice', ods, '--purpose', 'direct_care', '--from', '2026-10-01', '--to', '2026-11-01', '--out', file],
      env(),
    )
    expect(run.code, run.stderr).toBe(0)
    const events = readNdjson(file)
    expect(events.length).toBe(Number(expected!.n))
    expect(events.length).toBeGreaterThan(0)
    expect(events.every((e) => e.purposeOfEvent[0].coding.at(-1).code === 'direct_care')).toBe(true)

    const bad = await runLedger(['export', 'balp', '--practice', ods, '--purpose', 'reserch', '--out', path.join(dir, 'x.ndjson')], env())
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/--purpose: "reserch" is not one of/)
    expect(fs.existsSync(path.join(dir, 'x.ndjson'))).toBe(false)
  })

  it('reads the rows through a cursor, a batch at a time', async () => {
    const practiceIds = (await t.db('practices').select('id')).map((p) => p.id)
    const chunks: number[] = []
    for await (const chunk of balpNdjson(t.db, { practiceIds })) chunks.push(chunk.rows)
    const total = Number((await t.db('disclosures').count('* as n').first())!.n)
    expect(total).toBeGreaterThan(BALP_BATCH)
    expect(chunks.reduce((a, b) => a + b, 0)).toBe(total)
    expect(chunks.length).toBe(Math.ceil(total / BALP_BATCH))
    expect(Math.max(...chunks)).toBe(BALP_BATCH)
  })

  it('maps every v3 PurposeOfUse it sends back to the same purpose in the seeded code table', async () => {
    const map = await t.db('purpose_code_map').where({ system: V3_ACT_REASON })
    for (const [purpose, v3] of Object.entries(PURPOSE_OF_USE)) {
      expect(map.find((m) => m.code === v3.code)?.purpose, `${purpose} -> ${v3.code}`).toBe(purpose)
    }
  })
})

describe('the round trip', () => {
  it('collects the exported file, served by a FHIR server, into a fresh database with identical counts', { timeout: 120_000 }, async () => {
    const ods = sim.practices[1]!.odsCode
    const file = path.join(dir, 'round-trip.ndjson')
    const run = await runLedger(['export', 'balp', '--practice', ods, '--out', file], env())
    expect(run.code, run.stderr).toBe(0)
    const events = readNdjson(file)
    const server = await serveAuditEvents(events)
    const fresh = await createTestDatabase()
    try {
      const practice = await ensurePractice(fresh.db, { odsCode: ods, name: 'Round trip' })
      await addSource(fresh.db, { practiceId: practice.id, kind: 'fhir', name: 'ledger export', baseUrl: server.url })
      const [result] = await collect(
        { db: fresh.db, target: { kind: 'postgres', url: fresh.url }, config: testConfig(fresh.url) },
        { all: true },
      )
      expect(result!.status, result!.error ?? '').toBe('completed')
      expect(await fresh.db('quarantine').select('reason')).toEqual([])
      expect(result!.counts!.inserted).toBe(events.length)
      expect(await fresh.db('override_events').count('* as n').first()).toEqual({ n: 0 })
      expect(await counts(fresh.db, ods)).toEqual(await counts(t.db, ods))
    } finally {
      await server.close()
      await fresh.drop()
    }
  })
})

describe('/disclosures.ndjson', () => {
  const context = () => loadContext(t)
  const download = async (query: string, user: Awaited<ReturnType<typeof signedInUser>>) =>
    respond(() => balpLoader({ request: get(`/disclosures.ndjson${query}`, user), params: {}, context: context() }))

  it('streams the page’s disclosures for the same filters, within the user’s practices', { timeout: 60_000 }, async () => {
    const [a, b] = sim.practices.map((p) => p.odsCode)
    const manager = await signedInUser(context(), 'practice_manager', [a!])
    const res = await download('?purpose=direct_care&from=2026-10-01&to=2026-11-01', manager)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/fhir\+ndjson/)
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="disclosures-balp_${a}_2026-10-01_2026-11-01.ndjson"`)
    const events = (await res.text())
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
    const expected = await t
      .db('disclosures as d')
      .join('practices as p', 'p.id', 'd.practice_id')
      .where({ 'p.ods_code': a, 'd.purpose': 'direct_care' })
      .whereRaw(`d.occurred_at >= ('2026-10-01'::date::timestamp AT TIME ZONE 'Europe/London')`)
      .count('* as n')
      .first()
    expect(events).toHaveLength(Number(expected!.n))
    for (const e of events) expect(balpSourceProblems(e)).toEqual([])
    expect(events.every((e) => e.agent[0].who.identifier.value === a)).toBe(true)

    expect((await download(`?practice=${b}`, manager)).status).toBe(404)
    const bad = await download('?purpose=reserch', manager)
    expect(bad.status).toBe(400)
    const log = await t.db('access_log').where({ user_id: manager.id, action: 'export', target: '/disclosures.ndjson' }).first()
    expect(log.detail).toMatchObject({ rows: events.length, format: 'balp' })
  })
})
