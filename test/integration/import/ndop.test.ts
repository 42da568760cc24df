import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import { ensurePractice } from '../../../db/queries/practices.js'
import { importNdopFile } from '../../../jobs/import-ndop.js'
import type { RunnerDeps } from '../../../jobs/runner.js'
import { testConfig } from '../../support/config.js'
import { useTestDatabase } from '../../support/db.js'

const t = useTestDatabase()
const deps = (): RunnerDeps => ({ db: t.db, target: { kind: 'postgres', url: t.url }, config: testConfig(t.url) })

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/csv')
const fixture = (name: string) => path.join(FIXTURES, name)
const GOOD = fixture('NDOP_reg_geog_Mar_2026.csv')

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-ndop-'))
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }))
/** A copy of a fixture with some text replaced: a corrected or older edition of the file. */
function variant(name: string, from: string, edits: Array<[string, string]>): string {
  let text = fs.readFileSync(fixture(from), 'utf8')
  for (const [a, b] of edits) {
    if (!text.includes(a)) throw new Error(`fixture ${from} has no ${a}`)
    text = text.replaceAll(a, b)
  }
  const file = path.join(tmp, name)
  fs.writeFileSync(file, text)
  return file
}

async function countsByPractice() {
  const rows = await t
    .db('practice_optout_counts as c')
    .join('practices as p', 'p.id', 'c.practice_id')
    .select('p.ods_code', 'c.kind', 'c.origin', 'c.as_of', 'c.opt_outs', 'c.list_size')
    .orderBy(['p.ods_code', 'c.as_of'])
  return rows
}

// Each test starts from an empty ledger, so counts and keys are the test's own.
beforeEach(async () => {
  for (const table of ['practice_optout_counts', 'quarantine', 'job_runs', 'sources', 'practices']) await t.db(table).delete()
})

describe('importNdopFile', () => {
  it('loads every practice row of the publication, creating the practices with their ICB', async () => {
    const result = await importNdopFile(deps(), GOOD)
    expect(result).toEqual({
      status: 'completed',
      runId: expect.any(Number),
      counts: { read: 5, inserted: 4, updated: 0, duplicates: 0, quarantined: 0 },
      error: null,
    })
    expect(await countsByPractice()).toEqual([
      { ods_code: 'A81001', kind: 'ndop', origin: 'ndop_publication', as_of: '2026-03-01', opt_outs: 210, list_size: 4245 },
      { ods_code: 'A81002', kind: 'ndop', origin: 'ndop_publication', as_of: '2026-03-01', opt_outs: 1432, list_size: 19788 },
      { ods_code: 'A81004', kind: 'ndop', origin: 'ndop_publication', as_of: '2026-03-01', opt_outs: 590, list_size: 10581 },
      { ods_code: 'B82005', kind: 'ndop', origin: 'ndop_publication', as_of: '2026-03-01', opt_outs: 1210, list_size: 27010 },
    ])
    const practices = await t
      .db('practices')
      .select('ods_code', 'name', 'icb_code', 'icb_name', 'list_size', 'list_size_as_of')
      .orderBy('ods_code')
    expect(practices[0]).toEqual({
      ods_code: 'A81001',
      name: 'THE DENSHAM SURGERY',
      icb_code: 'QHM',
      icb_name: 'NHS NORTH EAST AND NORTH CUMBRIA INTEGRATED CARE BOARD',
      list_size: 4245,
      list_size_as_of: '2026-03-01',
    })
    expect(practices.map((p) => p.ods_code)).toEqual(['A81001', 'A81002', 'A81004', 'B82005'])

    const run = await t.db('job_runs').where({ id: result.runId }).first()
    const source = await t.db('sources').where({ id: run.source_id }).first()
    expect(run).toMatchObject({
      job_name: 'import-ndop',
      trigger: 'manual',
      status: 'completed',
      params: { file: 'NDOP_reg_geog_Mar_2026.csv' },
    })
    expect(source).toMatchObject({ kind: 'ndop_csv', practice_id: null })
    const stored = await t.db('practice_optout_counts').distinct('source_id', 'run_id')
    expect(stored).toEqual([{ source_id: source.id, run_id: result.runId }])
  })

  it('fills in a practice that was known only by its code and moves its list size forward, never back', async () => {
    await ensurePractice(t.db, { odsCode: 'A81001' })
    await t.db('practices').where({ ods_code: 'A81001' }).update({ list_size: 4000, list_size_as_of: '2025-12-01' })

    await importNdopFile(deps(), GOOD)
    expect(await t.db('practices').where({ ods_code: 'A81001' }).first()).toMatchObject({
      name: 'THE DENSHAM SURGERY',
      icb_code: 'QHM',
      list_size: 4245,
      list_size_as_of: '2026-03-01',
    })

    const older = variant('NDOP_reg_geog_Jan_2026.csv', 'NDOP_reg_geog_Mar_2026.csv', [
      ['01/03/2026', '01/01/2026'],
      ['210,4245', '205,4190'],
    ])
    expect((await importNdopFile(deps(), older)).counts).toMatchObject({ inserted: 4 })
    expect(await t.db('practices').where({ ods_code: 'A81001' }).first()).toMatchObject({ list_size: 4245, list_size_as_of: '2026-03-01' })
    expect(await t.db('practice_optout_counts').where({ as_of: '2026-01-01' }).count('* as n').first()).toEqual({ n: 4 })
  })

  it('reads a BOM, CRLF line ends, quoted commas, reordered and extra columns', async () => {
    const result = await importNdopFile(deps(), fixture('ndop-bom-crlf-quoted.csv'))
    expect(result.counts).toEqual({ read: 2, inserted: 2, updated: 0, duplicates: 0, quarantined: 0 })
    expect(await countsByPractice()).toMatchObject([
      { ods_code: 'C82001', opt_outs: 1045, list_size: 12345 },
      { ods_code: 'C82002', opt_outs: 77, list_size: 6120 },
    ])
    expect(await t.db('practices').select('name', 'icb_name').orderBy('ods_code')).toEqual([
      { name: 'SMITH, JONES & PARTNERS', icb_name: 'NHS LEICESTER, LEICESTERSHIRE AND RUTLAND ICB' },
      { name: 'THE "OLD" SURGERY', icb_name: 'NHS LEICESTER, LEICESTERSHIRE AND RUTLAND ICB' },
    ])
  })

  it('counts a re-import as duplicates and a corrected figure as an update', async () => {
    await importNdopFile(deps(), GOOD)
    const again = await importNdopFile(deps(), GOOD)
    expect(again.counts).toEqual({ read: 5, inserted: 0, updated: 0, duplicates: 4, quarantined: 0 })
    expect(await t.db('practice_optout_counts').count('* as n').first()).toEqual({ n: 4 })

    const corrected = variant('NDOP_reg_geog_Mar_2026.csv', 'NDOP_reg_geog_Mar_2026.csv', [['1432,19788', '1440,19790']])
    const result = await importNdopFile(deps(), corrected)
    expect(result.counts).toEqual({ read: 5, inserted: 0, updated: 1, duplicates: 3, quarantined: 0 })
    const a81002 = await t.db('practice_optout_counts as c').join('practices as p', 'p.id', 'c.practice_id').where('p.ods_code', 'A81002')
    expect(a81002).toMatchObject([{ opt_outs: 1440, list_size: 19790, run_id: result.runId }])
    expect(await t.db('practices').where({ ods_code: 'A81002' }).first()).toMatchObject({ list_size: 19790 })
  })

  it('quarantines each bad row with the reason, loads the good ones and passes over unallocated rows', async () => {
    const result = await importNdopFile(deps(), fixture('ndop-bad-rows.csv'))
    expect(result).toMatchObject({ status: 'completed', counts: { read: 9, inserted: 2, updated: 0, duplicates: 0, quarantined: 5 } })
    expect((await countsByPractice()).map((r) => r.ods_code)).toEqual(['A81001', 'C81004'])
    const quarantine = await t.db('quarantine').select('record_key', 'reason', 'resource_type', 'payload', 'first_run_id').orderBy('id')
    expect(quarantine.map((q) => q.reason).sort()).toEqual(
      [
        "row 3: OPT_OUT 'abc' is not a whole number",
        "row 4: LIST_SIZE '-5' is negative",
        "row 5: ACH_DATE '31/02/2026' is not a date in the form dd/mm/yyyy",
        "row 6: GP_PRACTICE 'A8100' is not a GP practice code (one letter and five digits, such as A81001)",
        'row 7: OPT_OUT 500 is greater than LIST_SIZE 400',
      ].sort(),
    )
    const abc = quarantine.find((q) => q.reason.startsWith('row 3'))!
    expect(abc).toMatchObject({ record_key: 'A81002:2026-03-01', resource_type: 'ndop_csv_row', first_run_id: result.runId })
    expect(abc.payload).toMatchObject({ GP_PRACTICE: 'A81002', OPT_OUT: 'abc', LIST_SIZE: '19788' })
    expect(quarantine.find((q) => q.reason.startsWith('row 6'))!.record_key).toMatch(/^line:6:[0-9a-f]{64}$/)
    // Neither the unallocated row nor the closed practice became a practice or a quarantine entry.
    expect(await t.db('practices').whereIn('ods_code', ['D81001', 'UNALLOCATED']).count('* as n').first()).toEqual({ n: 0 })

    // Fixing the file loads the row and resolves its quarantine entry.
    const fixed = variant('ndop-bad-rows-fixed.csv', 'ndop-bad-rows.csv', [['abc,19788', '1432,19788']])
    expect((await importNdopFile(deps(), fixed)).counts).toMatchObject({ inserted: 1, duplicates: 2, quarantined: 4 })
    expect(await t.db('quarantine').where({ record_key: 'A81002:2026-03-01' }).first()).toMatchObject({ status: 'resolved' })
  })

  it('quarantines the second row for the same practice and date rather than letting it overwrite the first', async () => {
    const twice = variant('twice.csv', 'NDOP_reg_geog_Mar_2026.csv', [
      ['01/03/2026,UNALLOCATED', '01/03/2026,A81001,TS18 1HU,THE DENSHAM SURGERY,,,,,QHM,,,,,1,4245\n01/03/2026,UNALLOCATED'],
    ])
    const result = await importNdopFile(deps(), twice)
    expect(result.counts).toMatchObject({ read: 6, inserted: 4, quarantined: 1 })
    expect(await t.db('quarantine').pluck('reason')).toEqual([
      'row 6: GP_PRACTICE A81001 with ACH_DATE 01/03/2026 appears again (first on row 2); only the first is loaded',
    ])
    expect(await countsByPractice()).toContainEqual(expect.objectContaining({ ods_code: 'A81001', opt_outs: 210 }))
  })

  it('fails the run, naming the missing column, when the header is wrong', async () => {
    const result = await importNdopFile(deps(), fixture('ndop-wrong-header.csv'))
    expect(result.status).toBe('failed')
    const run = await t.db('job_runs').where({ id: result.runId }).first()
    expect(run).toMatchObject({ status: 'failed', read_count: 0 })
    expect(run.error).toContain('lacks the required column OPT_OUT')
    expect(run.error).toBe(result.error)
    expect(await t.db('practice_optout_counts').count('* as n').first()).toEqual({ n: 0 })
  })

  it('fails the run with one clear sentence when the file is missing or has no rows', async () => {
    const missing = await importNdopFile(deps(), path.join(tmp, 'NDOP_reg_geog_Apr_2026.csv'))
    expect(missing).toMatchObject({ status: 'failed', counts: { read: 0 } })
    expect(missing.error).toBe(
      `The file NDOP_reg_geog_Apr_2026.csv does not exist (looked for ${path.join(tmp, 'NDOP_reg_geog_Apr_2026.csv')}).`,
    )
    expect(await t.db('job_runs').where({ id: missing.runId }).first()).toMatchObject({
      job_name: 'import-ndop',
      status: 'failed',
      error: missing.error,
    })

    const headerOnly = path.join(tmp, 'header-only.csv')
    fs.writeFileSync(headerOnly, fs.readFileSync(GOOD, 'utf8').split('\n')[0] + '\n')
    expect(await importNdopFile(deps(), headerOnly)).toMatchObject({
      status: 'failed',
      error: 'header-only.csv has a header row but no practice rows.',
    })
  })

  describe('a file of several batches', () => {
    const big = path.join(tmp, 'big.csv')
    const rows = Array.from(
      { length: 1203 },
      (_, i) => `01/03/2026,Z${String(10000 + i)},,PRACTICE ${i},,,,,QZZ,TEST ICB,,,,${i % 50},${1000 + i}`,
    )
    beforeEach(() => fs.writeFileSync(big, [fs.readFileSync(GOOD, 'utf8').split('\n')[0], ...rows].join('\n')))

    it('is counted exactly, the last part-batch included', async () => {
      const result = await importNdopFile(deps(), big)
      expect(result.counts).toEqual({ read: 1203, inserted: 1203, updated: 0, duplicates: 0, quarantined: 0 })
      expect(await t.db('practice_optout_counts').sum('opt_outs as total').first()).toEqual({
        total: rows.reduce((s, _, i) => s + (i % 50), 0),
      })
    })

    it('stops after the batch in hand when asked to, keeping what it committed', async () => {
      const stop = new AbortController()
      stop.abort()
      const result = await importNdopFile({ ...deps(), signal: stop.signal }, big)
      expect(result).toMatchObject({ status: 'cancelled', counts: { read: 500, inserted: 500 } })
      expect(await t.db('practice_optout_counts').count('* as n').first()).toEqual({ n: 500 })
      expect((await importNdopFile(deps(), big)).counts).toMatchObject({ inserted: 703, duplicates: 500 })
    })
  })
})
