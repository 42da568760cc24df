import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { importInbox } from '../../../jobs/import-inbox.js'
import type { RunnerDeps } from '../../../jobs/runner.js'
import { testConfig } from '../../support/config.js'
import { useTestDatabase } from '../../support/db.js'

const t = useTestDatabase()
const deps = (): RunnerDeps => ({ db: t.db, target: { kind: 'postgres', url: t.url }, config: testConfig(t.url) })

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/csv')
const inbox = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-inbox-'))
afterAll(() => fs.rmSync(inbox, { recursive: true, force: true }))

function drop(fixture: string, ...to: string[]): string {
  const file = path.join(inbox, ...to)
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.copyFileSync(path.join(FIXTURES, fixture), file)
  return file
}
const ls = (...folder: string[]) => (fs.existsSync(path.join(inbox, ...folder)) ? fs.readdirSync(path.join(inbox, ...folder)).sort() : [])

describe('importInbox', () => {
  it('imports the NDOP publication before the registers, and files each away by how its import ended', async () => {
    drop('NDOP_reg_geog_Mar_2026.csv', 'ndop', 'NDOP_reg_geog_Mar_2026.csv')
    drop('NDOP_reg_geog_Mar_2026.csv', 'ndop', 'not-a-publication.csv')
    // The register's practice A81001 exists only once the publication has been imported.
    drop('register-good.csv', 'register', 'A81001', 'february.csv')
    drop('ndop-wrong-header.csv', 'register', 'A81001', 'wrong.csv')
    drop('register-good.csv', 'register', 'Z99999', 'unknown-practice.csv')

    const results = await importInbox(deps(), inbox, { settleMs: 0 })

    expect(results.map((r) => [path.relative(inbox, r.file), r.status, r.counts?.inserted ?? null])).toEqual([
      ['ndop/NDOP_reg_geog_Mar_2026.csv', 'completed', 4],
      ['register/A81001/february.csv', 'completed', 5],
      ['register/A81001/wrong.csv', 'failed', 0],
      ['register/Z99999/unknown-practice.csv', 'failed', null],
    ])
    expect(await t.db('job_runs').where({ trigger: 'schedule' }).count('* as n').first()).toEqual({ n: 3 })

    expect(ls('ndop')).toEqual(['done', 'not-a-publication.csv'])
    expect(ls('ndop', 'done')).toEqual(['NDOP_reg_geog_Mar_2026.csv'])
    expect(ls('register', 'A81001')).toEqual(['done', 'failed'])
    expect(ls('register', 'A81001', 'done')).toEqual(['february.csv'])
    expect(ls('register', 'A81001', 'failed')).toEqual(['wrong.csv', 'wrong.csv.reason.txt'])
    const wrong = results[2]!
    expect(fs.readFileSync(path.join(inbox, 'register', 'A81001', 'failed', 'wrong.csv.reason.txt'), 'utf8')).toBe(
      `${wrong.error} (job run ${wrong.runId})\n`,
    )
    expect(fs.readFileSync(path.join(inbox, 'register', 'Z99999', 'failed', 'unknown-practice.csv.reason.txt'), 'utf8')).toMatch(
      /^There is no practice with ODS code Z99999/,
    )

    // The next run finds nothing new; a file dropped again under the same name keeps the first copy.
    expect(await importInbox(deps(), inbox, { settleMs: 0 })).toEqual([])
    drop('register-good.csv', 'register', 'A81001', 'february.csv')
    expect((await importInbox(deps(), inbox, { settleMs: 0 })).map((r) => r.counts)).toEqual([
      { read: 5, inserted: 0, updated: 0, duplicates: 5, quarantined: 0 },
    ])
    expect(ls('register', 'A81001', 'done')).toEqual([expect.stringMatching(/^february\.\d{4}-\d{2}-\d{2}T[\d-]+Z\.csv$/), 'february.csv'])
  })

  it('leaves a file that may still be arriving for the next run', async () => {
    const file = drop('NDOP_reg_geog_Mar_2026.csv', 'ndop', 'NDOP_reg_geog_Apr_2026.csv')
    expect(await importInbox(deps(), inbox, { settleMs: 60_000 })).toEqual([])
    expect(fs.existsSync(file)).toBe(true)

    const aMinuteAgo = new Date(Date.now() - 61_000)
    fs.utimesSync(file, aMinuteAgo, aMinuteAgo)
    expect((await importInbox(deps(), inbox)).map((r) => r.status)).toEqual(['completed'])
    expect(fs.existsSync(file)).toBe(false)
  })
})
