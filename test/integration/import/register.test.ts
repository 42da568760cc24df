import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { ensurePractice } from '../../../db/queries/practices.js'
import { importRegisterFile } from '../../../jobs/import-register.js'
import { pseudonymiseNhsNumber } from '../../../jobs/pseudonym.js'
import type { RunnerDeps } from '../../../jobs/runner.js'
import { testConfig } from '../../support/config.js'
import { useTestDatabase } from '../../support/db.js'
import { TEST_PSEUDONYM_KEY } from '../../support/test-env.js'

const t = useTestDatabase()
const deps = (): RunnerDeps => ({ db: t.db, target: { kind: 'postgres', url: t.url }, config: testConfig(t.url) })

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/csv')
const GOOD = path.join(FIXTURES, 'register-good.csv')
const BAD = path.join(FIXTURES, 'register-bad-rows.csv')
const PRACTICE = 'A81001'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-register-'))
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }))
function variant(name: string, from: string, edits: Array<[string, string]>): string {
  let text = fs.readFileSync(from, 'utf8')
  for (const [a, b] of edits) {
    if (!text.includes(a)) throw new Error(`${from} has no ${a}`)
    text = text.replaceAll(a, b)
  }
  const file = path.join(tmp, name)
  fs.writeFileSync(file, text)
  return file
}

/** Every stored text of the tables an import writes to, as one string to search. */
async function everythingStored(): Promise<string> {
  const tables = ['disclosures', 'organisations', 'quarantine', 'job_runs', 'sources']
  const dumps = await Promise.all(tables.map((table) => t.db.raw(`SELECT coalesce(json_agg(x)::text, '') AS dump FROM ${table} x`)))
  return dumps.map((d) => d.rows[0].dump).join('\n')
}

beforeAll(async () => {
  await ensurePractice(t.db, { odsCode: PRACTICE, name: 'The Densham Surgery' })
})
beforeEach(async () => {
  for (const table of ['disclosures', 'organisations', 'quarantine', 'job_runs', 'sources']) await t.db(table).delete()
})

describe('importRegisterFile', () => {
  it('loads each disclosure with the patient pseudonymised and no NHS number, name or note stored anywhere', async () => {
    const result = await importRegisterFile(deps(), GOOD, PRACTICE)
    expect(result).toEqual({
      status: 'completed',
      runId: expect.any(Number),
      counts: { read: 5, inserted: 5, updated: 0, duplicates: 0, quarantined: 0 },
      error: null,
    })
    const rows = await t
      .db('disclosures as d')
      .join('organisations as o', 'o.id', 'd.recipient_id')
      .join('practices as p', 'p.id', 'd.practice_id')
      .select(
        'd.source_record_id',
        'd.occurred_at',
        'd.patient_pseudonym',
        'd.purpose',
        'd.purpose_code',
        'd.legal_basis',
        'd.data_level',
        'd.data_description',
        'd.disclosed_by',
        'd.disclosed_by_role',
        'd.run_id',
        'o.name as recipient',
        'o.ods_code as recipient_ods',
        'o.recipient_type',
        'p.ods_code as practice',
      )
      .orderBy('d.source_record_id')
    expect(
      rows.map((r) => [
        r.source_record_id,
        r.occurred_at.toISOString(),
        r.recipient,
        r.recipient_type,
        r.purpose,
        r.purpose_code,
        r.legal_basis,
        r.data_level,
      ]),
    ).toEqual([
      ['REG-001', '2026-02-03T00:00:00.000Z', 'Cleveland Police', 'police_judicial', 'legal', 'legal', 'legal_obligation', 'identifiable'],
      [
        'REG-002',
        '2026-02-04T00:00:00.000Z',
        'Smith, Jones & Co Solicitors',
        'solicitor',
        'subject_access',
        'subject_access',
        'explicit_consent',
        'identifiable',
      ],
      [
        'REG-003',
        '2026-02-05T14:30:00.000Z',
        'The patient or their representative',
        'patient_representative',
        'subject_access',
        'subject_access',
        null,
        'identifiable',
      ],
      ['REG-004', '2026-02-06T09:15:00.000Z', 'Aviva Insurance', 'insurer', 'insurance', 'Insurance', 'explicit_consent', 'identifiable'],
      [
        'REG-005',
        '2026-02-07T00:00:00.000Z',
        'North Tees Hospital',
        'nhs_trust',
        'safeguarding',
        'safeguarding',
        'safeguarding_duty',
        'identifiable',
      ],
    ])
    expect(rows[0]).toMatchObject({
      patient_pseudonym: pseudonymiseNhsNumber(TEST_PSEUDONYM_KEY, '9990000018'),
      data_description: 'Consultation notes 2024 to 2025',
      disclosed_by: 'J Smith',
      disclosed_by_role: 'Practice manager',
      practice: PRACTICE,
      run_id: result.runId,
    })
    expect(rows[4]).toMatchObject({ recipient_ods: 'RVW' })

    const stored = await everythingStored()
    for (const nhs of ['9990000018', '9990000085', '9990000158', '9990000220', '9990000298']) {
      expect(stored).not.toContain(nhs)
      expect(stored).not.toContain(`${nhs.slice(0, 3)} ${nhs.slice(3, 6)} ${nhs.slice(6)}`)
    }
    // The notes and patient_name columns, and the name of a person who received a record.
    for (const personal of ['Jane Doe', 'High Street', 'DC Brown', 'John Roe', 'Bloggs', 'Peter Poe', 'Mary Moe', 'Daughter']) {
      expect(stored).not.toContain(personal)
    }

    const run = await t.db('job_runs').where({ id: result.runId }).first()
    const source = await t.db('sources').where({ id: run.source_id }).first()
    expect(run).toMatchObject({ job_name: 'import-register', params: { file: 'register-good.csv' } })
    expect(source).toMatchObject({ kind: 'register_csv', practice_id: (await t.db('practices').where({ ods_code: PRACTICE }).first()).id })
  })

  it('quarantines each bad row with a reason that says how to fix it, and loads the rest', async () => {
    const result = await importRegisterFile(deps(), BAD, PRACTICE)
    expect(result).toMatchObject({ status: 'completed', counts: { read: 8, inserted: 1, updated: 0, duplicates: 0, quarantined: 7 } })
    expect(await t.db('disclosures').pluck('source_record_id')).toEqual(['REG-101'])

    const quarantine = await t.db('quarantine').select('record_key', 'reason', 'payload', 'resource_type').orderBy('id')
    const byKey = Object.fromEntries(quarantine.map((q) => [q.record_key, q.reason]))
    expect(byKey['REG-102']).toBe(
      "row 3: purpose 'police' is not a purpose code (use one of: benchmarking, capacity_planning, clinical_audit, commissioning, " +
        'contract_monitoring, direct_care, emergency_care, incident_review, insurance, legal, marketing, personal_development, ' +
        'public_health, research, risk_stratification, safeguarding, secondary_processing, service_management, subject_access, ' +
        "surveys, teaching_training; or ask an administrator to map 'police' to one)",
    )
    expect(byKey['REG-103']).toMatch(/^row 4: recipient_type 'cops' is not a recipient type \(use one of: .*police_judicial.*\)$/)
    expect(byKey['REG-104']).toBe('row 5: nhs_number is not a valid NHS number (10 digits, the last being the modulus 11 check digit)')
    expect(byKey['REG-105']).toBe("row 6: disclosed_at '2026-02-30' is not a date (write YYYY-MM-DD, dd/mm/yyyy or YYYY-MM-DDTHH:MM)")
    expect(byKey['REG-107']).toBe('row 8: data_description seems to hold an NHS number (it belongs in nhs_number only)')
    const byLine = quarantine.filter((q) => q.record_key.startsWith('line:')).map((q) => q.reason)
    expect(byLine.sort()).toEqual([
      'row 7: reference is empty (each disclosure needs its own reference)',
      "row 9: reference 'REG-101' appears again (first on row 2); only the first is loaded",
    ])
    expect(quarantine.every((q) => q.resource_type === 'register_csv_row')).toBe(true)
    expect(quarantine.find((q) => q.record_key === 'REG-102')!.payload).toMatchObject({
      reference: 'REG-102',
      purpose: 'police',
      patient_pseudonym: pseudonymiseNhsNumber(TEST_PSEUDONYM_KEY, '9990000433'),
    })

    const stored = await everythingStored()
    for (const nhs of ['9990000360', '9990000433', '9991000144', '9990000786', '999 000 0786']) expect(stored).not.toContain(nhs)
  })

  it('counts a re-import as duplicates and a corrected row as an update', async () => {
    await importRegisterFile(deps(), GOOD, PRACTICE)
    const again = await importRegisterFile(deps(), GOOD, PRACTICE)
    expect(again.counts).toEqual({ read: 5, inserted: 0, updated: 0, duplicates: 5, quarantined: 0 })
    expect(await t.db('disclosures').count('* as n').first()).toEqual({ n: 5 })

    // Spelling a date or NHS number another way is not a correction; changing the purpose is.
    const corrected = variant('register-corrected.csv', GOOD, [
      ['REG-002,04/02/2026,9990000085', 'REG-002,2026-02-04,999-000-0085'],
      [
        'REG-005,2026-02-07,9990000298,North Tees Hospital,RVW,nhs_trust,safeguarding',
        'REG-005,2026-02-07,9990000298,North Tees Hospital,RVW,nhs_trust,direct_care',
      ],
    ])
    const result = await importRegisterFile(deps(), corrected, PRACTICE)
    expect(result.counts).toEqual({ read: 5, inserted: 0, updated: 1, duplicates: 4, quarantined: 0 })
    expect(await t.db('disclosures').where({ source_record_id: 'REG-005' }).first()).toMatchObject({
      purpose: 'direct_care',
      run_id: result.runId,
    })
    expect(await t.db('disclosures').count('* as n').first()).toEqual({ n: 5 })
  })

  it('loads a row once it is fixed and resolves its quarantine entry', async () => {
    await importRegisterFile(deps(), BAD, PRACTICE)
    const fixed = variant('register-fixed.csv', BAD, [[',police,', ',legal,']])
    expect((await importRegisterFile(deps(), fixed, PRACTICE)).counts).toMatchObject({ inserted: 1, duplicates: 1, quarantined: 6 })
    expect(await t.db('quarantine').where({ record_key: 'REG-102' }).first()).toMatchObject({ status: 'resolved' })
  })

  it('reads spreadsheet-style headings and keeps no column it does not know', async () => {
    const file = path.join(tmp, 'headings.csv')
    fs.writeFileSync(
      file,
      'Reference,Disclosed At,NHS Number,Recipient Name,Recipient Type,Purpose,Patient Address\n' +
        'H-1,2026-01-10,9990000018,Cleveland Police,Police judicial,Legal,"1 Acacia Avenue, Stockton"\n',
    )
    expect((await importRegisterFile(deps(), file, PRACTICE)).counts).toMatchObject({ inserted: 1, quarantined: 0 })
    expect(await everythingStored()).not.toContain('Acacia')
  })

  it('refuses an unknown practice before starting a run, and fails the run for a missing file', async () => {
    expect(await importRegisterFile(deps(), GOOD, 'Z99999')).toEqual({
      status: 'failed',
      runId: null,
      counts: null,
      error:
        'There is no practice with ODS code Z99999: add the practice (or import the NDOP publication, which lists every practice) before importing its register.',
    })
    expect(await importRegisterFile(deps(), GOOD, 'police')).toMatchObject({
      status: 'failed',
      error: "'police' is not a GP practice ODS code (one letter and five digits, such as A81001).",
    })
    expect(await t.db('job_runs').count('* as n').first()).toEqual({ n: 0 })

    const missing = await importRegisterFile(deps(), path.join(tmp, 'nope.csv'), PRACTICE)
    expect(missing).toMatchObject({ status: 'failed', runId: expect.any(Number) })
    expect(missing.error).toMatch(/^The file nope.csv does not exist/)
  })

  it('fails the run, naming the missing columns, when the header is not a register', async () => {
    const result = await importRegisterFile(deps(), path.join(FIXTURES, 'NDOP_reg_geog_Mar_2026.csv'), PRACTICE)
    expect(result.status).toBe('failed')
    expect(result.error).toMatch(
      /^The header row of NDOP_reg_geog_Mar_2026.csv lacks the required columns reference, disclosed_at, nhs_number, recipient_name, recipient_type, purpose \(it has: ACH_DATE/,
    )
  })
})
