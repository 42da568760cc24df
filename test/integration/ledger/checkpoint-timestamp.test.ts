import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runScheduled, scheduledJobs } from '../../../jobs/scheduler.js'
import type { RunnerDeps } from '../../../jobs/runner.js'
import { testConfig } from '../../support/config.js'
import { useTestDatabase } from '../../support/db.js'
import { seedChainedDisclosures } from '../../support/ledger-seed.js'
import { runLedger } from '../../support/processes.js'
import { TEST_PSEUDONYM_KEY, TEST_SIGNING_KEY } from '../../support/test-env.js'
import { startTestTsa, type TestTsa } from '../../support/tsa.js'

// Issue 16's last parts: a checkpoint time-stamped by an RFC 3161 authority (a real one, openssl
// ts, on 127.0.0.1), checked from the command line against the TSA's certificate; a TSA that is
// down costs the time-stamp, never the checkpoint; and however many schedulers run, one
// checkpoint per scheduled time.

const t = useTestDatabase()
let tsa: TestTsa
let otherTsa: TestTsa
let dir: string
const env = (extra: Record<string, string> = {}) => ({
  DATABASE_URL: t.url,
  PSEUDONYM_KEY: TEST_PSEUDONYM_KEY,
  SIGNING_KEY: TEST_SIGNING_KEY,
  SCHEDULER: 'off',
  ...extra,
})
const file = (name: string) => path.join(dir, name)

beforeAll(async () => {
  tsa = await startTestTsa()
  otherTsa = await startTestTsa()
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-tsa-cp-'))
  await seedChainedDisclosures(t.db)
}, 60_000)
afterAll(async () => {
  await tsa?.close()
  await otherTsa?.close()
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

describe('time-stamped checkpoints', () => {
  it('are time-stamped by the configured TSA and verify against its certificate', async () => {
    const made = await runLedger(['integrity', 'checkpoint', '--out', file('cp.json')], env({ TSA_URL: tsa.url }))
    expect(made.code, made.stderr).toBe(0)
    expect(made.stdout).toMatch(/time-stamped \d{4}-\d{2}-\d{2}T.* by http:\/\/127\.0\.0\.1/)
    const cp = JSON.parse(fs.readFileSync(file('cp.json'), 'utf8'))
    expect(cp.timestamp).toMatchObject({ tsa: tsa.url, genTime: expect.any(String), token: expect.any(String) })
    expect((await t.db('ledger_checkpoints').orderBy('id', 'desc').first()).document.timestamp.genTime).toBe(cp.timestamp.genTime)

    const ok = await runLedger(['integrity', 'verify', '--checkpoint', file('cp.json'), '--tsa-cert', tsa.caFile], env())
    expect(ok.code, ok.stdout + ok.stderr).toBe(0)
    expect(ok.stdout).toContain(
      `Checkpoint time-stamped ${cp.timestamp.genTime} by ${tsa.url}, signature verified with the TSA certificate.`,
    )
    // Another TSA's certificate does not vouch for it.
    const untrusted = await runLedger(['integrity', 'verify', '--checkpoint', file('cp.json'), '--tsa-cert', otherTsa.caFile], env())
    expect(untrusted.code).toBe(1)
    expect(untrusted.stderr).toMatch(/checkpoint is refused: its time-stamp refused: its signature does not verify/)
  })

  it("refuses a time-stamp moved from another checkpoint, or a time written over the TSA's", async () => {
    const second = await runLedger(['integrity', 'checkpoint', '--out', file('cp2.json')], env({ TSA_URL: tsa.url }))
    expect(second.code, second.stderr).toBe(0)
    const one = JSON.parse(fs.readFileSync(file('cp.json'), 'utf8'))
    const two = JSON.parse(fs.readFileSync(file('cp2.json'), 'utf8'))
    fs.writeFileSync(file('moved.json'), JSON.stringify({ ...one, timestamp: two.timestamp }))
    const moved = await runLedger(['integrity', 'verify', '--checkpoint', file('moved.json'), '--tsa-cert', tsa.caFile], env())
    expect(moved.code).toBe(1)
    expect(moved.stderr).toMatch(/time-stamps something else/)
    fs.writeFileSync(
      file('backdated.json'),
      JSON.stringify({ ...one, timestamp: { ...one.timestamp, genTime: '2026-01-01T00:00:00.000Z' } }),
    )
    const backdated = await runLedger(['integrity', 'verify', '--checkpoint', file('backdated.json')], env())
    expect(backdated.code).toBe(1)
    expect(backdated.stderr).toMatch(/the token says .* the checkpoint 2026-01-01/)
  })

  it('are kept without a time-stamp when the TSA is down, and say so', async () => {
    tsa.refuse = true
    try {
      const made = await runLedger(['integrity', 'checkpoint', '--out', file('down.json')], env({ TSA_URL: tsa.url }))
      expect(made.code, made.stderr).toBe(0)
      expect(made.stderr).toMatch(/WARNING: the checkpoint has no time-stamp: .*answered HTTP 503/)
      const cp = JSON.parse(fs.readFileSync(file('down.json'), 'utf8'))
      expect(cp.timestamp).toBeUndefined()
      expect(cp.timestampError).toMatch(/HTTP 503/)
      // Still a valid signed checkpoint; asked to check a time-stamp it has none.
      expect((await runLedger(['integrity', 'verify', '--checkpoint', file('down.json')], env())).code).toBe(0)
      const asked = await runLedger(['integrity', 'verify', '--checkpoint', file('down.json'), '--tsa-cert', tsa.caFile], env())
      expect(asked.code).toBe(1)
      expect(asked.stderr).toMatch(/carries no time-stamp/)
    } finally {
      tsa.refuse = false
    }
  })

  it('are signed once per scheduled time however many schedulers run, and time-stamped', async () => {
    // Each scheduler process has its own deps; the database is the one they share.
    const deps = (): RunnerDeps => ({
      db: t.db,
      target: { kind: 'postgres', url: t.url },
      config: { ...testConfig(t.url), tsaUrl: tsa.url },
      log: () => {},
    })
    const job = scheduledJobs(deps()).find((j) => j.name === 'ledger-integrity')!
    expect(job.oncePerDue).toBe(true)
    const before = Number((await t.db('ledger_checkpoints').count('* as n').first())!.n)
    // Three schedulers fire at 02:00:00, 02:00:01 and 02:00:59 of the same night.
    const ran = await Promise.all(
      ['2026-12-07T02:00:00Z', '2026-12-07T02:00:01Z', '2026-12-07T02:00:59Z'].map((at) => runScheduled(deps(), job, new Date(at))),
    )
    expect(ran.filter(Boolean)).toHaveLength(1)
    expect(Number((await t.db('ledger_checkpoints').count('* as n').first())!.n)).toBe(before + 1)
    const latest = await t.db('ledger_checkpoints').orderBy('id', 'desc').first()
    expect(latest.created_by).toBe('scheduler')
    // Once under a loaded CI the checkpoint came back without its time-stamp: say why if it does again.
    expect(latest.document.timestamp?.tsa, `no time-stamp: ${latest.document.timestampError}; the TSA answered ${tsa.answered}`).toBe(
      tsa.url,
    )
    // The next night, again exactly one.
    const next = await Promise.all([0, 1].map(() => runScheduled(deps(), job, new Date('2026-12-08T02:00:00Z'))))
    expect(next.filter(Boolean)).toHaveLength(1)
    expect(Number((await t.db('ledger_checkpoints').count('* as n').first())!.n)).toBe(before + 2)
  })
})
