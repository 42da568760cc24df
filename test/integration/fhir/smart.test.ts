import crypto from 'node:crypto'
import fs from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Db } from '../../../db/client.js'
import { ensurePractice } from '../../../db/queries/practices.js'
import { addSource, setSmartClient } from '../../../db/queries/sources.js'
import { collect } from '../../../jobs/collect.js'
import { chooseScopes, V1_SCOPES, V2_SCOPES } from '../../../jobs/fhir/smart.js'
import { startSimulator, type RunningSimulator } from '../../../simulator/server.js'
import { testConfig } from '../../support/config.js'
import { createTestDatabase, useTestDatabase, type TestDatabase } from '../../support/db.js'
import { runLedger } from '../../support/processes.js'
import { TEST_PSEUDONYM_KEY } from '../../support/test-env.js'

// SMART Backend Services for $export backfills (issue 18 part 2, decision 041): discovery, a
// signed client assertion for an access token, the token on kick-off, polls and files, one
// renewal after a 401, a wrong key refused with a clear run error, and the token in no log.

const t = useTestDatabase()
let sim: RunningSimulator
let dir: string
const RANGE = { from: '2026-10-01', to: '2026-11-01' }
const CLIENT = 'ledger-test'
const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 })
const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-384' })
const stranger = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 })
const keyFiles = { rsa: '', ec: '', stranger: '' }
const pem = (k: crypto.KeyObject) => k.export({ type: 'pkcs8', format: 'pem' }) as string

beforeAll(async () => {
  sim = await startSimulator({
    port: 0,
    practices: 1,
    days: 45,
    seed: 23,
    token: 'sim-token',
    smart: { clients: { [CLIENT]: rsa.publicKey, 'ledger-ec': ec.publicKey } },
  })
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'smart-'))
  for (const [name, pair] of Object.entries({ rsa, ec, stranger })) {
    const file = path.join(dir, `${name}.pem`)
    await fs.writeFile(file, pem(pair.privateKey), { mode: 0o600 })
    keyFiles[name as keyof typeof keyFiles] = file
  }
})
afterAll(async () => {
  await sim?.close()
  if (dir) await fs.rm(dir, { recursive: true, force: true })
})

async function addSimSource(db: Db, smart: { clientId: string; keyFile: string } | null) {
  const p = sim.practices[0]!
  const practice = await ensurePractice(db, { odsCode: p.odsCode, name: p.name })
  // No static token for a SMART source: the simulator's $export takes only SMART access tokens.
  const source = await addSource(db, {
    practiceId: practice.id,
    kind: 'fhir',
    name: 'sim',
    baseUrl: p.fhirBaseUrl,
    token: smart ? null : 'sim-token',
    bulkExport: smart !== null,
  })
  if (smart) await setSmartClient(db, source.id, { ...smart, keyId: 'key-1' })
  return source
}

function deps(db: TestDatabase, lines: string[] = []) {
  return { db: db.db, target: { kind: 'postgres' as const, url: db.url }, config: testConfig(db.url), log: (l: string) => lines.push(l) }
}

async function disclosures(db: Db) {
  return db('disclosures')
    .orderBy('source_record_id')
    .select('source_record_id', 'source_version', 'patient_pseudonym', 'purpose', 'occurred_at')
}

/** Nothing the ledger wrote or logged holds an access token or the private key. */
async function expectNoSecrets(db: Db, lines: string[]) {
  const written = JSON.stringify([
    await db('job_runs').select('*'),
    await db('access_log').select('*'),
    await db('quarantine').select('*'),
    await db('sources').select('*'),
    lines,
  ])
  expect(sim.smartLog().issued.length).toBeGreaterThan(0)
  for (const token of sim.smartLog().issued) expect(written).not.toContain(token)
  for (const pair of [rsa, ec]) {
    const body = pem(pair.privateKey).split('\n')[2]!
    expect(written).not.toContain(body)
  }
}

/** The same range collected page by page with the static token: what $export must match. */
let paged: Awaited<ReturnType<typeof disclosures>>
beforeAll(async () => {
  const reference = await createTestDatabase()
  try {
    await addSimSource(reference.db, null)
    const [run] = await collect(deps(reference), { all: true }, { backfill: RANGE })
    expect(run!.status).toBe('completed')
    paged = await disclosures(reference.db)
    expect(paged.length).toBeGreaterThan(200)
  } finally {
    await reference.drop()
  }
}, 120_000)

describe('a $export backfill of a source with a SMART Backend Services client', () => {
  it('discovers the token endpoint, signs an RS384 assertion and stores what the paged backfill stores', { timeout: 120_000 }, async () => {
    sim.setBulk({ pollsBeforeReady: 1, retryAfterSeconds: 1, linesPerFile: 700 })
    const issuedBefore = sim.smartLog().issued.length
    const refusalsBefore = sim.smartLog().bearerRefusals
    await addSimSource(t.db, { clientId: CLIENT, keyFile: keyFiles.rsa })
    const lines: string[] = []
    const [run] = await collect(deps(t, lines), { all: true }, { backfill: RANGE })
    expect(run!.status, run!.error ?? '').toBe('completed')
    expect(await disclosures(t.db)).toEqual(paged)
    // One token for the whole run (kick-off, polls, several files), and none refused.
    expect(sim.smartLog().issued.length).toBe(issuedBefore + 1)
    expect(sim.smartLog().bearerRefusals).toBe(refusalsBefore)
    expect(sim.bulkLog().files).toBeGreaterThan(2)
    expect(
      lines.some((l) =>
        /SMART access token obtained for client "ledger-test" \(system\/AuditEvent\.read system\/Consent\.read, 300 s\)/.test(l),
      ),
    ).toBe(true)
    await expectNoSecrets(t.db, lines)
  })

  it('signs ES384 with an EC P-384 key and asks for v2 scopes when the server lists only those', { timeout: 120_000 }, async () => {
    const db = await createTestDatabase()
    try {
      sim.setSmart({ scopes: 'v2' })
      sim.setBulk({ pollsBeforeReady: 0 })
      await addSimSource(db.db, { clientId: 'ledger-ec', keyFile: keyFiles.ec })
      const lines: string[] = []
      const [run] = await collect(deps(db, lines), { all: true }, { backfill: RANGE })
      expect(run!.status, run!.error ?? '').toBe('completed')
      expect(await disclosures(db.db)).toEqual(paged)
      expect(lines.some((l) => l.includes('system/AuditEvent.rs system/Consent.rs'))).toBe(true)
      await expectNoSecrets(db.db, lines)
    } finally {
      sim.setSmart({ scopes: 'v1' })
      await db.drop()
    }
  })

  it('renews a token that expires mid-export once, and carries on', { timeout: 120_000 }, async () => {
    const db = await createTestDatabase()
    try {
      sim.setBulk({ pollsBeforeReady: 2, retryAfterSeconds: 1, linesPerFile: 700 })
      // The first token works for the kick-off and two polls; the third poll gets a 401.
      sim.setSmart({ expireNextTokenAfter: 3 })
      const issuedBefore = sim.smartLog().issued.length
      const refusalsBefore = sim.smartLog().bearerRefusals
      await addSimSource(db.db, { clientId: CLIENT, keyFile: keyFiles.rsa })
      const lines: string[] = []
      const [run] = await collect(deps(db, lines), { all: true }, { backfill: RANGE })
      expect(run!.status, run!.error ?? '').toBe('completed')
      expect(sim.smartLog().issued.length).toBe(issuedBefore + 2)
      expect(sim.smartLog().bearerRefusals).toBe(refusalsBefore + 1)
      expect(lines.filter((l) => l.includes('access token was refused (HTTP 401); asking once more'))).toHaveLength(1)
      expect(await disclosures(db.db)).toEqual(paged)
      await expectNoSecrets(db.db, lines)
    } finally {
      await db.drop()
    }
  })

  it('fails the run with a clear error when the key is not the registered one, and reads nothing', { timeout: 60_000 }, async () => {
    const db = await createTestDatabase()
    try {
      const kickOffs = sim.bulkLog().kickOffs.length
      const source = await addSimSource(db.db, { clientId: CLIENT, keyFile: keyFiles.stranger })
      const lines: string[] = []
      const [run] = await collect(deps(db, lines), { all: true }, { backfill: RANGE })
      expect(run!.status).toBe('failed')
      expect(run!.error).toBe(
        `The SMART token endpoint refused client "${CLIENT}" of source ${source.id} (HTTP 401 invalid_client: the client assertion signature does not verify with the registered key)`,
      )
      expect(sim.smartLog().refused.at(-1)).toMatch(/signature does not verify/)
      expect(sim.bulkLog().kickOffs.length).toBe(kickOffs) // no $export was started without a token
      expect(Number((await db.db('disclosures').count('* as n').first())!.n)).toBe(0)
      const row = await db.db('job_runs').where({ id: run!.runId }).first()
      expect(row.error).toBe(run!.error)

      // A key file that is not there is named, with no guesswork.
      await setSmartClient(db.db, source.id, { clientId: CLIENT, keyFile: path.join(dir, 'missing.pem'), keyId: 'key-1' })
      const [missing] = await collect(deps(db, lines), { all: true }, { backfill: RANGE })
      expect(missing!.error).toMatch(
        /The SMART private key of source \d+ could not be read from .*missing\.pem.* \(there is no such file\)/,
      )
      await expectNoSecrets(db.db, lines)
    } finally {
      await db.drop()
    }
  })

  it('asks only once more when a renewed token is refused too, and fails the run', { timeout: 60_000 }, async () => {
    const db = await createTestDatabase()
    try {
      sim.setSmart({ tokenSeconds: 0 }) // every token is dead on arrival
      const issuedBefore = sim.smartLog().issued.length
      await addSimSource(db.db, { clientId: CLIENT, keyFile: keyFiles.rsa })
      const [run] = await collect(deps(db), { all: true }, { backfill: RANGE })
      expect(run!.status).toBe('failed')
      expect(run!.error).toMatch(/^FHIR source refused the \$export \(HTTP 401: A valid SMART access token is required/)
      expect(sim.smartLog().issued.length).toBe(issuedBefore + 2)
    } finally {
      sim.setSmart({ tokenSeconds: 300 })
      await db.drop()
    }
  })

  it('fails the run with a clear error when the token endpoint is down', { timeout: 60_000 }, async () => {
    const db = await createTestDatabase()
    const closed = http.createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const { port } = closed.address() as AddressInfo
    await new Promise((resolve) => closed.close(resolve))
    try {
      sim.setSmart({ tokenEndpoint: `http://127.0.0.1:${port}/token` })
      await addSimSource(db.db, { clientId: CLIENT, keyFile: keyFiles.rsa })
      const [run] = await collect(deps(db), { all: true }, { backfill: RANGE })
      expect(run!.status).toBe('failed')
      expect(run!.error).toBe('The SMART token endpoint did not answer (the source refused the connection)')
      expect(Number((await db.db('disclosures').count('* as n').first())!.n)).toBe(0)
    } finally {
      sim.setSmart({ tokenEndpoint: undefined })
      await db.drop()
    }
  })
})

describe('ledger source smart', () => {
  it('sets and removes a source’s SMART client, checks the key file, and logs the change', { timeout: 60_000 }, async () => {
    const db = await createTestDatabase()
    try {
      const source = await addSimSource(db.db, null)
      const env = { DATABASE_URL: db.url, PSEUDONYM_KEY: TEST_PSEUDONYM_KEY, SCHEDULER: 'off' }
      const set = await runLedger(
        ['source', 'smart', '--source', String(source.id), '--client-id', CLIENT, '--key-file', keyFiles.ec, '--kid', 'key-1'],
        env,
      )
      expect(set.code, set.stderr).toBe(0)
      expect(set.stdout).toContain(`Source ${source.id}: $export backfills authorise with SMART Backend Services as client ${CLIENT}`)
      expect(await db.db('sources').where({ id: source.id }).first()).toMatchObject({
        smart_client_id: CLIENT,
        smart_key_file: keyFiles.ec,
        smart_key_id: 'key-1',
      })
      const logged = await db.db('access_log').where({ action: 'admin_source_smart' }).first()
      expect(logged.detail).toEqual({ smart: 'on', clientId: CLIENT, keyFile: keyFiles.ec, kid: 'key-1' })

      const notAKey = path.join(dir, 'not-a-key.pem')
      await fs.writeFile(notAKey, 'hello\n')
      const bad = await runLedger(
        ['source', 'smart', '--source', String(source.id), '--client-id', 'x', '--key-file', notAKey, '--kid', 'k'],
        env,
      )
      expect(bad.code).toBe(2)
      expect(bad.stderr).toMatch(/--key-file: The SMART private key file of source \d+ .* holds no private key \(PEM or JWK\)/)

      const missing = await runLedger(['source', 'smart', '--source', String(source.id), '--client-id', 'x'], env)
      expect(missing.code).toBe(2)
      expect(missing.stderr).toContain('--key-file: required')

      const off = await runLedger(['source', 'smart', '--source', String(source.id), '--off'], env)
      expect(off.code, off.stderr).toBe(0)
      expect(await db.db('sources').where({ id: source.id }).first()).toMatchObject({ smart_client_id: null, smart_key_file: null })
      expect(Number((await db.db('access_log').where({ action: 'admin_source_smart' }).count('* as n').first())!.n)).toBe(2)
    } finally {
      await db.drop()
    }
  })
})

describe('scopes', () => {
  it('asks for v1 scopes unless the server lists only v2 ones', () => {
    expect(chooseScopes(undefined)).toBe(V1_SCOPES)
    expect(chooseScopes(['system/*.read'])).toBe(V1_SCOPES)
    expect(chooseScopes(['system/*.rs'])).toBe(V2_SCOPES)
    expect(chooseScopes(['system/AuditEvent.rs', 'system/AuditEvent.read'])).toBe(V1_SCOPES)
    expect(chooseScopes(['patient/*.rs'])).toBe(V1_SCOPES)
  })
})
