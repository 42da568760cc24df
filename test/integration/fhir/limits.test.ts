import { spawn } from 'node:child_process'
import fs from 'node:fs'
import type http from 'node:http'
import zlib from 'node:zlib'
import { afterEach, describe, expect, it } from 'vitest'
import type { Config } from '../../../config/env.js'
import { ensurePractice } from '../../../db/queries/practices.js'
import { addSource, type SourceRow } from '../../../db/queries/sources.js'
import { collectSource } from '../../../jobs/collect.js'
import { reapAbandonedRuns, type RunnerDeps } from '../../../jobs/runner.js'
import { startScheduler } from '../../../jobs/scheduler.js'
import { testConfig } from '../../support/config.js'
import { useTestDatabase } from '../../support/db.js'
import { waitFor } from '../../support/processes.js'
import { searchset, startHttpServer, type TestHttpServer } from '../../support/http-server.js'
import { TEST_PSEUDONYM_KEY } from '../../support/test-env.js'

/**
 * Issue 12, finding 6: a practice system that tries to hold or bloat the collector. Each test
 * makes the attack with a real HTTP server on 127.0.0.1 (compressed and trickled bodies and
 * redirects need real sockets) and checks the run ends, bounded, with the rest of the data kept.
 */

type Json = any
const t = useTestDatabase()
const fixture = (name: string): Json => JSON.parse(fs.readFileSync(new URL(`../../fixtures/fhir/${name}.json`, import.meta.url), 'utf8'))
const at = (minutes: number) => new Date(Date.UTC(2026, 2, 2, 9, minutes)).toISOString().replace('.000Z', 'Z')

function disclosure(n: number): Json {
  const e = fixture('auditevent-nhs-disclosure')
  e.id = `d-${n}`
  e.meta = { versionId: '1', lastUpdated: at(n) }
  e.recorded = at(n)
  e.period = { start: at(n) }
  return e
}

const servers: TestHttpServer[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close()
})
async function serve(handler: http.RequestListener): Promise<TestHttpServer> {
  const s = await startHttpServer(handler)
  servers.push(s)
  return s
}

let n = 0
async function sourceAt(baseUrl: string): Promise<SourceRow> {
  const practice = await ensurePractice(t.db, { odsCode: 'A81001', name: 'Test Surgery' })
  return addSource(t.db, { practiceId: practice.id, kind: 'fhir', name: `System ${++n}`, baseUrl, token: 'practice-token' })
}
const deps = (http: Partial<Config['http']> = {}): RunnerDeps => ({
  db: t.db,
  target: { kind: 'postgres', url: t.url },
  config: testConfig(t.url, http),
})
const json = (res: http.ServerResponse, body: unknown) => {
  res.writeHead(200, { 'Content-Type': 'application/fhir+json' })
  res.end(JSON.stringify(body))
}
const streamOf = (req: http.IncomingMessage) => new URL(req.url!, 'http://x').pathname.split('/').pop()

describe('collector limits against a hostile source', () => {
  it('cuts off a gzip body that trickles in, within the deadline, and the run fails', { timeout: 60_000 }, async () => {
    const timers: NodeJS.Timeout[] = []
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/fhir+json', 'Content-Encoding': 'gzip' })
      const gzip = zlib.createGzip()
      gzip.pipe(res)
      gzip.write('{"resourceType":"Bundle","entry":[')
      // A few compressed bytes every 50 ms, for ever: each read succeeds, the body never ends.
      const timer = setInterval(() => gzip.write(' ', () => gzip.flush()), 50)
      timers.push(timer)
      res.on('close', () => clearInterval(timer))
    })
    const source = await sourceAt(`${server.url}/fhir`)
    const started = Date.now()
    const result = await collectSource(deps({ timeoutMs: 500, maxAttempts: 2 }), source)
    const took = Date.now() - started
    timers.forEach(clearInterval)
    expect(result.status).toBe('failed')
    expect(result.error).toBe('FHIR source failed after 2 attempts: no complete answer within 500 ms from /fhir/AuditEvent')
    // Two attempts of 500 ms and a short backoff, not the minutes the body would take.
    expect(took).toBeLessThan(10_000)
  })

  it('stops a gzip bomb at the size cap without inflating it in memory', { timeout: 60_000 }, async () => {
    // 256 MB of spaces inside a Bundle, about 250 KB compressed.
    const gz = zlib.createGzip({ level: 9 })
    const parts: Buffer[] = []
    gz.on('data', (c: Buffer) => parts.push(c))
    const done = new Promise((r) => gz.on('end', r))
    gz.write('{"resourceType":"Bundle","entry":[],"x":"')
    const mb = Buffer.alloc(1024 * 1024, 0x20)
    for (let i = 0; i < 256; i++) gz.write(mb)
    gz.end('"}')
    await done
    const bomb = Buffer.concat(parts)
    expect(bomb.length).toBeLessThan(1024 * 1024)
    let requests = 0
    const server = await serve((_req, res) => {
      requests++
      res.writeHead(200, { 'Content-Type': 'application/fhir+json', 'Content-Encoding': 'gzip', 'Content-Length': bomb.length })
      res.end(bomb)
    })
    const source = await sourceAt(`${server.url}/fhir`)
    global.gc?.()
    const before = process.memoryUsage()
    const result = await collectSource(deps({ maxBodyBytes: 4 * 1024 * 1024 }), source)
    const after = process.memoryUsage()
    expect(result.status).toBe('failed')
    expect(result.error).toBe('FHIR source sent an answer larger than 4 MB (FHIR_MAX_BODY_BYTES) at /fhir/AuditEvent')
    // Not retried: the same page would be as large again.
    expect(requests).toBe(1)
    // Far below the 256 MB the body inflates to (with room for the rest of the process's work).
    expect(after.rss - before.rss).toBeLessThan(100 * 1024 * 1024)
    expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(64 * 1024 * 1024)
  })

  it('stops following next links that go round in a circle, keeping the pages read', { timeout: 60_000 }, async () => {
    const requested: string[] = []
    const server = await serve((req, res) => {
      requested.push(req.url!)
      const url = new URL(req.url!, 'http://x')
      if (streamOf(req) !== 'AuditEvent') return json(res, searchset([]))
      // The first page links to B, B links to A, A links to B...
      if (url.searchParams.get('page') === 'B') return json(res, searchset([disclosure(2)], `${server.url}/fhir/AuditEvent?page=A`))
      if (url.searchParams.get('page') === 'A') return json(res, searchset([disclosure(3)], `${server.url}/fhir/AuditEvent?page=B`))
      return json(res, searchset([disclosure(1)], `${server.url}/fhir/AuditEvent?page=B`))
    })
    const source = await sourceAt(`${server.url}/fhir`)
    const result = await collectSource(deps(), source)
    expect(result.status).toBe('failed')
    expect(result.error).toBe(
      "FHIR source's next-page links go round in a circle (back to /fhir/AuditEvent after 3 pages); what was read is kept",
    )
    expect(requested).toHaveLength(3)
    expect(await t.db('disclosures').where({ source_id: source.id }).orderBy('source_record_id').pluck('source_record_id')).toEqual([
      'd-1',
      'd-2',
      'd-3',
    ])
  })

  it('stops after the per-run page cap when every next link is new', { timeout: 60_000 }, async () => {
    const server = await serve((req, res) => {
      if (streamOf(req) !== 'AuditEvent') return json(res, searchset([]))
      const page = Number(new URL(req.url!, 'http://x').searchParams.get('page') ?? 0)
      return json(res, searchset([disclosure(page)], `${server.url}/fhir/AuditEvent?page=${page + 1}`))
    })
    const source = await sourceAt(`${server.url}/fhir`)
    const result = await collectSource(deps({ maxPages: 5 }), source)
    expect(result.status).toBe('failed')
    expect(result.error).toMatch(/^FHIR source still had more AuditEvent pages after 5 in one run \(FHIR_MAX_PAGES\)/)
    expect(await t.db('disclosures').where({ source_id: source.id }).count('* as n').first()).toEqual({ n: 5 })
  })

  it('quarantines a record nested 5,000 deep and stores the others; caps a 10 MB description', { timeout: 60_000 }, async () => {
    const deep = disclosure(2)
    deep.extension = 'NEST'
    const long = disclosure(3)
    long.entity[1].description = `Referral letter ${'x'.repeat(10 * 1024 * 1024)}`
    // Written out by hand: JSON.stringify itself overflows the stack on 5,000 levels.
    const body = JSON.stringify(searchset([disclosure(1), deep, long, disclosure(4)])).replace(
      '"NEST"',
      `${'{"a":['.repeat(5000)}{"leaf":true}${']}'.repeat(5000)}`,
    )
    const server = await serve((req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/fhir+json' })
      res.end(streamOf(req) === 'AuditEvent' ? body : JSON.stringify(searchset([])))
    })
    const source = await sourceAt(`${server.url}/fhir`)
    const result = await collectSource(deps(), source)
    expect(result.error).toBeNull()
    expect(result.counts).toMatchObject({ read: 4, inserted: 3, quarantined: 1 })
    const quarantined = await t.db('quarantine').where({ source_id: source.id }).first()
    expect(quarantined).toMatchObject({
      record_key: 'd-2',
      reason: 'the record is nested more than 64 levels deep (FHIR_MAX_DEPTH), so it was not read; it is not kept',
      payload: null,
    })
    const description = (await t.db('disclosures').where({ source_id: source.id, source_record_id: 'd-3' }).first())
      .data_description as string
    expect(description.length).toBeLessThan(1100)
    expect(description).toMatch(/^Referral letter x+… \[cut at 1,000 characters\]$/)
    // Run again: the same record stays quarantined, the run does not fail on it.
    expect((await collectSource(deps(), source)).status).toBe('completed')
  })

  it('refuses a redirect to another host, and follows one on the same server', { timeout: 60_000 }, async () => {
    let stolen = 0
    const elsewhere = await serve((_req, res) => {
      stolen++
      json(res, searchset([]))
    })
    const server = await serve((req, res) => {
      const url = new URL(req.url!, 'http://x')
      if (url.pathname.startsWith('/moved/')) return json(res, searchset(streamOf(req) === 'AuditEvent' ? [disclosure(1)] : []))
      if (url.pathname.includes('/same/')) {
        res.writeHead(302, { Location: `/moved/${streamOf(req)}${url.search}` })
        return res.end()
      }
      res.writeHead(307, { Location: `${elsewhere.url}/steal${url.search}` })
      res.end()
    })
    const refused = await collectSource(deps(), await sourceAt(`${server.url}/fhir`))
    expect(refused.status).toBe('failed')
    expect(refused.error).toBe('FHIR source redirected the request to another server, where it is not followed at /fhir/AuditEvent')
    expect(stolen).toBe(0)
    const followed = await collectSource(deps(), await sourceAt(`${server.url}/same/fhir`))
    expect(followed).toMatchObject({ status: 'completed', error: null, counts: { inserted: 1 } })
  })

  it('names no internal address or port in a run error', { timeout: 60_000 }, async () => {
    // A port that was just listening and is now closed: the connection is refused.
    const closed = await startHttpServer((_req, res) => res.end())
    await closed.close()
    const result = await collectSource(deps({ maxAttempts: 2 }), await sourceAt(`${closed.url}/fhir`))
    expect(result.error).toBe('FHIR source failed after 2 attempts: the source refused the connection from /fhir/AuditEvent')
    const port = new URL(closed.url).port
    expect(result.error).not.toContain('127.0.0.1')
    expect(result.error).not.toContain(port)
  })

  it('marks a run left active by a killed runner failed, releasing its lock, and the next run proceeds', { timeout: 90_000 }, async () => {
    const server = await serve((req, res) => json(res, searchset(streamOf(req) === 'AuditEvent' ? [disclosure(1)] : [])))
    // A runner that takes job "race" and holds it; killed with SIGKILL, it leaves its run active.
    const env = { DATABASE_URL: t.url, PSEUDONYM_KEY: TEST_PSEUDONYM_KEY, HOLD_MS: '60000', SCHEDULER: 'off' }
    const live = spawnHolder(env)
    await waitFor(async () => (await t.db('job_runs').where({ job_name: 'race', status: 'active' }).first()) !== undefined, 'the held run')
    // While its runner lives, the run is left alone, however long it takes.
    expect(await reapAbandonedRuns(deps())).toBe(0)
    live.kill('SIGKILL')
    await new Promise((r) => live.on('close', r))
    // Its connection (and so its advisory lock) goes when PostgreSQL notices; then the run is reaped.
    await waitFor(async () => (await reapAbandonedRuns(deps())) === 1, 'the dead run to be reaped', 30_000)
    const dead = await t.db('job_runs').where({ job_name: 'race' }).first()
    expect(dead).toMatchObject({ status: 'failed', error: 'abandoned: the runner process ended before the run finished' })
    // A collection left active by a dead runner does not block the next one.
    const source = await sourceAt(`${server.url}/fhir`)
    await t.db('job_runs').insert({ job_name: 'collect', source_id: source.id, trigger: 'schedule', status: 'active', locked_by: 'gone:1' })
    expect(await reapAbandonedRuns(deps())).toBe(1)
    const next = await collectSource(deps(), source)
    expect(next).toMatchObject({ status: 'completed', counts: { inserted: 1 } })
    expect(await t.db('job_runs').where({ status: 'active' }).count('* as n').first()).toEqual({ n: 0 })
  })

  it("has a starting scheduler mark a dead runner's run failed at once, not at its next collection", { timeout: 60_000 }, async () => {
    const [run] = await t
      .db('job_runs')
      .insert({ job_name: 'import-register', source_id: null, trigger: 'schedule', status: 'active', locked_by: 'gone:2' })
      .returning('id')
    const base = deps()
    // Schedules that will not fire during the test: only the start-up check runs.
    const scheduler = startScheduler({
      ...base,
      config: { ...base.config, schedules: { ...base.config.schedules, collect: '0 0 1 1 *', import: '0 0 1 1 *' } },
      log: () => {},
    })
    try {
      await waitFor(
        async () => (await t.db('job_runs').where({ id: run.id }).first()).status === 'failed',
        'the abandoned run to be marked failed',
      )
    } finally {
      await scheduler.stop()
    }
  })
})

/** test/support/processes/hold-job.ts as its own process, so SIGKILL really kills a runner. */
function spawnHolder(env: Record<string, string>) {
  return spawn(process.execPath, ['--import', 'tsx', 'test/support/processes/hold-job.ts'], {
    env: { ...process.env, ...env },
    stdio: 'ignore',
  })
}
