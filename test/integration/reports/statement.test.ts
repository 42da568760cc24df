import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../support/db.js'
import { runLedger } from '../../support/processes.js'
import { OTHER, PATIENT, PATIENT_NHS, rowsContaining, seedStatementData } from '../../support/statement-seed.js'
import { TEST_PSEUDONYM_KEY, TEST_SIGNING_KEY } from '../../support/test-env.js'

// A patient's disclosure statement from the command line (issue 17, part 1): exactly the
// patient's disclosures at that practice in the span, in plain words with the opt-out in force
// that day; nothing of other patients or practices; the NHS number nowhere afterwards.

const t = useTestDatabase()
let tmp: string
const env = () => ({ DATABASE_URL: t.url, PSEUDONYM_KEY: TEST_PSEUDONYM_KEY, SIGNING_KEY: TEST_SIGNING_KEY, SCHEDULER: 'off' })

beforeAll(async () => {
  await seedStatementData(t.db)
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-statement-'))
}, 120_000)
afterAll(() => {
  if (tmp && !process.env.KEEP_TMP) fs.rmSync(tmp, { recursive: true, force: true })
})

describe('ledger statement', () => {
  it("lists exactly the patient's disclosures at the practice over six years, in plain words", async () => {
    const out = path.join(tmp, 'statement.pdf')
    const made = await runLedger(
      ['statement', '--practice', 'S10001', '--nhs-number', '943 476 5919', '--to', '2026-06-30', '--out', out],
      env(),
    )
    expect(made.code, made.stderr).toBe(0)
    expect(made.stdout).toContain(`for patient ${PATIENT} at S10001, 2020-07-01 to 2026-06-30`)
    const text = execFileSync('pdftotext', [out, '-'], { encoding: 'utf8' }) // reading order: each cell's words together
    const flat = text.replace(/\s+/g, ' ')

    // the same rows as a direct query by pseudonym
    const direct = await t
      .db('disclosures as d')
      .join('practices as p', 'p.id', 'd.practice_id')
      .join('organisations as o', 'o.id', 'd.recipient_id')
      .where({ 'd.patient_pseudonym': PATIENT, 'p.ods_code': 'S10001' })
      .where('d.occurred_at', '>=', '2020-07-01')
      .where('d.occurred_at', '<', '2026-07-01')
      .select('o.name', 'd.occurred_at')
      .orderBy('d.occurred_at')
    expect(direct).toHaveLength(4)
    expect(made.stdout).toContain('(4 disclosures,')
    expect(flat).toContain('4 times in all.')
    for (const d of direct) expect(flat).toContain(d.name)
    expect(flat).toContain('Ysbyty Gwynedd (W7A)')
    // nothing of the other patient, the other practice, or before the span
    expect(flat).not.toContain('Faraway Clinic')
    expect(flat).not.toContain(OTHER)
    expect(flat).not.toContain('2019')
    // the opt-out of August 2024 was in force for the research disclosure of September 2025
    expect(flat).toContain('You had opted out (the National Data Opt-out). It covered this sharing, which should not have happened')
    // ... and for the one with explicit consent, the basis is said
    expect(flat).toContain('This sharing was made under a legal basis that an opt-out does not cover.')
    expect(flat).toContain('An opt-out does not cover sharing for this reason.')
    // plain words, no codes
    expect(flat).not.toMatch(/direct_care|explicit_consent|research_org|identifiable\b/)
    expect(flat).toContain('Your record was opened without the usual permission, to give urgent care')
    expect(flat).toContain('Not yet reviewed by the practice')
    expect(flat).toContain('Information Commissioner’s Office')
    // the pseudonym is the only reference; the NHS number is nowhere
    expect(flat).toContain(PATIENT)
    expect(text).not.toMatch(/943\s?476\s?5919/)
    expect(made.stdout + made.stderr).not.toMatch(/943\s?476\s?5919/)
    expect(await rowsContaining(t.db, PATIENT_NHS)).toEqual([])
    expect(await rowsContaining(t.db, '943 476 5919')).toEqual([])
    // recorded and logged by pseudonym
    const logged = await t.db('access_log').where({ action: 'statement_export' }).first()
    expect(logged.detail.patient ?? JSON.parse(logged.detail).patient).toBe(PATIENT)
  }, 180_000)

  it('refuses an invalid NHS number with one sentence and writes nothing', async () => {
    const out = path.join(tmp, 'bad.pdf')
    const bad = await runLedger(['statement', '--practice', 'S10001', '--nhs-number', '943 476 5918', '--out', out], env())
    expect(bad.code).toBe(2)
    // the same sentence the Statements page shows at its field (core/inputs.ts NhsNumber)
    expect(bad.stderr.trim()).toBe(
      '--nhs-number: This is not a valid NHS number: its last digit does not match the check. Check each digit.',
    )
    const short = await runLedger(['statement', '--practice', 'S10001', '--nhs-number', '943 476', '--out', out], env())
    expect(short.stderr.trim()).toBe('--nhs-number: An NHS number is 10 digits, often written in groups of 3, 3 and 4.')
    expect(fs.existsSync(out)).toBe(false)
    expect(await rowsContaining(t.db, '9434765918')).toEqual([])
  }, 120_000)
})
