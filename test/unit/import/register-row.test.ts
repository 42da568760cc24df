import { describe, expect, it } from 'vitest'
import { parseDisclosedAt, parseRegisterRow, REGISTER_COLUMNS, type RegisterCodes } from '../../../jobs/import-register.js'
import { pseudonymiseNhsNumber } from '../../../jobs/pseudonym.js'

const KEY = 'unit-test-pseudonym-key-0123456789abcdef'
const codes: RegisterCodes = {
  purposes: new Map([
    ['legal', 'legal'],
    ['subject_access', 'subject_access'],
    ['police_request', 'legal'],
  ]),
  purposeCodes: ['legal', 'subject_access'],
  recipientTypes: new Map([
    ['police_judicial', 'Police and judicial'],
    ['solicitor', 'Solicitor'],
    ['patient_representative', 'The patient or their representative'],
  ]),
  legalBases: new Set(['explicit_consent', 'legal_obligation']),
}
const ctx = { codes, pseudonymKey: KEY, now: new Date('2026-03-01T12:00:00Z'), maxTextChars: 1000 }

type Column = (typeof REGISTER_COLUMNS)['required' | 'optional'][number]
const GOOD: Record<Column, string> = {
  reference: 'REG-001',
  disclosed_at: '2026-02-03',
  nhs_number: '999 000 0018',
  recipient_name: 'Cleveland Police',
  recipient_ods: '',
  recipient_type: 'police_judicial',
  purpose: 'legal',
  legal_basis: 'legal_obligation',
  data_level: '',
  data_description: 'Consultation notes',
  disclosed_by: 'J Smith',
  disclosed_by_role: 'Practice manager',
}
const parse = (changes: Partial<Record<Column, string>> = {}) => parseRegisterRow({ line: 4, values: { ...GOOD, ...changes } }, ctx)

function reasonOf(changes: Partial<Record<Column, string>>) {
  const outcome = parse(changes)
  if (outcome.kind !== 'quarantine') throw new Error(`expected a quarantine, got ${outcome.kind}`)
  return outcome.reason
}

describe('parseDisclosedAt', () => {
  it('reads a date alone as the start of that day in the UK, in winter and in summer', () => {
    expect(parseDisclosedAt('2026-02-03')).toBe('2026-02-03T00:00:00.000Z')
    expect(parseDisclosedAt('2026-06-03')).toBe('2026-06-02T23:00:00.000Z')
    expect(parseDisclosedAt('03/06/2026')).toBe('2026-06-02T23:00:00.000Z')
  })

  it('reads a time without an offset as UK clock time, and honours an offset when given', () => {
    expect(parseDisclosedAt('2026-06-03 09:15')).toBe('2026-06-03T08:15:00.000Z')
    expect(parseDisclosedAt('2026-06-03T09:15:30')).toBe('2026-06-03T08:15:30.000Z')
    expect(parseDisclosedAt('03/06/2026 09:15')).toBe('2026-06-03T08:15:00.000Z')
    expect(parseDisclosedAt('2026-06-03T09:15:00Z')).toBe('2026-06-03T09:15:00.000Z')
    expect(parseDisclosedAt('2026-06-03T09:15:00.5+02:00')).toBe('2026-06-03T07:15:00.500Z')
    // The night the clocks go forward (29 March 2026, 01:00 UTC): either side of it.
    expect(parseDisclosedAt('2026-03-29T00:30')).toBe('2026-03-29T00:30:00.000Z')
    expect(parseDisclosedAt('2026-03-29T03:30')).toBe('2026-03-29T02:30:00.000Z')
  })

  it('refuses what is not a real date and time', () => {
    for (const text of ['2026-02-30', '31/04/2026', '2026-02-03T24:00', '2026/02/03', '3 Feb 2026', '', '2026-02-03T10:00+5']) {
      expect(parseDisclosedAt(text), text).toBeNull()
    }
  })
})

describe('parseRegisterRow', () => {
  it('maps a row to a disclosure holding the pseudonym, never the NHS number', () => {
    const outcome = parse()
    expect(outcome).toMatchObject({
      kind: 'load',
      key: 'REG-001',
      record: {
        reference: 'REG-001',
        occurredAt: '2026-02-03T00:00:00.000Z',
        patientPseudonym: pseudonymiseNhsNumber(KEY, '9990000018'),
        recipient: { odsCode: null, name: 'Cleveland Police', recipientType: 'police_judicial' },
        purpose: 'legal',
        purposeAsGiven: 'legal',
        legalBasis: 'legal_obligation',
        dataLevel: 'identifiable',
        dataDescription: 'Consultation notes',
        disclosedBy: 'J Smith',
        disclosedByRole: 'Practice manager',
      },
    })
    expect(JSON.stringify(outcome)).not.toMatch(/999 ?000 ?0018/)
  })

  it('accepts codes written in words and administrator-mapped synonyms, keeping the purpose as given', () => {
    const outcome = parse({
      purpose: 'Police request',
      recipient_type: 'Police-Judicial',
      legal_basis: 'Legal obligation',
      data_level: 'Pseudonymised',
    })
    expect(outcome).toMatchObject({
      kind: 'load',
      record: {
        purpose: 'legal',
        purposeAsGiven: 'Police request',
        recipient: { recipientType: 'police_judicial' },
        legalBasis: 'legal_obligation',
        dataLevel: 'pseudonymised',
      },
    })
  })

  it('records a person who receives the record by type, not by name', () => {
    const outcome = parse({ recipient_type: 'patient_representative', recipient_name: 'Mrs Joan Bloggs', purpose: 'subject_access' })
    expect(outcome).toMatchObject({ kind: 'load', record: { recipient: { odsCode: null, name: 'The patient or their representative' } } })
    expect(JSON.stringify(outcome)).not.toContain('Bloggs')
  })

  it('gives a new version when a row is corrected, and the same one when only spacing changes', () => {
    const version = (o: ReturnType<typeof parse>) => (o.kind === 'load' ? o.record.version : null)
    expect(version(parse())).toMatch(/^[0-9a-f]{64}$/)
    expect(version(parse({ nhs_number: '9990000018' }))).toBe(version(parse()))
    expect(version(parse({ purpose: 'subject_access' }))).not.toBe(version(parse()))
  })

  it('explains each problem and how to fix it', () => {
    expect(reasonOf({ purpose: 'police' })).toBe(
      "row 4: purpose 'police' is not a purpose code (use one of: legal, subject_access; or ask an administrator to map 'police' to one)",
    )
    expect(reasonOf({ recipient_type: 'cops' })).toBe(
      "row 4: recipient_type 'cops' is not a recipient type (use one of: police_judicial, solicitor, patient_representative)",
    )
    expect(reasonOf({ legal_basis: 'because' })).toBe(
      "row 4: legal_basis 'because' is not a legal basis (use one of: explicit_consent, legal_obligation; or leave it empty)",
    )
    expect(reasonOf({ nhs_number: '9991000144' })).toBe(
      'row 4: nhs_number is not a valid NHS number (10 digits, the last being the modulus 11 check digit)',
    )
    expect(reasonOf({ nhs_number: '' })).toBe('row 4: nhs_number is empty')
    expect(reasonOf({ disclosed_at: '2026-02-30' })).toBe(
      "row 4: disclosed_at '2026-02-30' is not a date (write YYYY-MM-DD, dd/mm/yyyy or YYYY-MM-DDTHH:MM)",
    )
    expect(reasonOf({ disclosed_at: '2026-03-02' })).toBe("row 4: disclosed_at '2026-03-02' is in the future")
    expect(reasonOf({ data_level: 'full' })).toBe(
      "row 4: data_level 'full' is not one of identifiable, pseudonymised, anonymised (empty means identifiable)",
    )
    expect(reasonOf({ recipient_name: '' })).toBe(
      "row 4: recipient_name is empty (give the organisation's name, or its ODS code in recipient_ods)",
    )
    expect(reasonOf({ recipient_ods: 'R-1' })).toBe(
      "row 4: recipient_ods 'R-1' is not an ODS code (3 to 10 letters and digits, or leave it empty)",
    )
    expect(reasonOf({ reference: '' })).toBe('row 4: reference is empty (each disclosure needs its own reference)')
    expect(reasonOf({ purpose: 'police', nhs_number: '123' })).toBe(
      "row 4: nhs_number is not a valid NHS number (10 digits, the last being the modulus 11 check digit); purpose 'police' is not a purpose code (use one of: legal, subject_access; or ask an administrator to map 'police' to one)",
    )
  })

  it('refuses an NHS number written into a stored text column, and keeps it out of the quarantine payload', () => {
    const outcome = parse({ data_description: 'Records of 999 000 0085' })
    expect(outcome).toMatchObject({
      kind: 'quarantine',
      key: 'REG-001',
      reason: 'row 4: data_description seems to hold an NHS number (it belongs in nhs_number only)',
      payload: { data_description: 'Records of [NHS number removed]', patient_pseudonym: pseudonymiseNhsNumber(KEY, '9990000018') },
    })
    expect(JSON.stringify(outcome)).not.toMatch(/9990000018|999 000 0018|999 000 0085/)
    // Any ten digits, in any grouping, valid check digit or not: a mistyped NHS number still names a patient (decision 016).
    for (const description of ['Invoice 9991000144', 'Records of 999.000.0085', 'Records of 99900  00085', 'Records of 99900-00085']) {
      expect(reasonOf({ data_description: description }), description).toBe(
        'row 4: data_description seems to hold an NHS number (it belongs in nhs_number only)',
      )
    }
    expect(reasonOf({ recipient_ods: '999 000 0085' })).toBe(
      'row 4: recipient_ods seems to hold an NHS number (it belongs in nhs_number only)',
    )
  })

  it('stores a patient or relative named as the recipient by type, and does not guess at a bare name', () => {
    for (const recipient_name of ['Mrs Jane Doe (mother of patient)', 'Patient', 'Mr John Doe']) {
      const outcome = parse({ recipient_name, recipient_type: 'police_judicial' })
      expect(outcome, recipient_name).toMatchObject({
        kind: 'load',
        record: { recipient: { odsCode: null, name: 'The patient or their representative', recipientType: 'patient_representative' } },
      })
      expect(JSON.stringify(outcome)).not.toMatch(/Doe/)
    }
    const outcome = parse({ recipient_name: 'John Doe', recipient_type: 'solicitor' })
    expect(outcome).toMatchObject({
      kind: 'quarantine',
      reason: expect.stringMatching(/recipient_name reads as a person's name \(not shown here\)/),
    })
    expect(JSON.stringify(outcome)).not.toMatch(/John|Doe/)
  })

  it('never quotes an NHS number typed into a code column', () => {
    for (const column of ['purpose', 'legal_basis', 'data_level', 'recipient_type', 'disclosed_at'] as const) {
      const reason = reasonOf({ [column]: 'x 943 476 6044' })
      expect(reason, column).toContain('[NHS number removed]')
      expect(reason, column).not.toMatch(/\d{3}/)
    }
  })

  it('keys a row with no usable reference by line and digest, never by the NHS number it holds', () => {
    for (const reference of ['', '9990000085']) {
      const outcome = parse({ reference })
      expect(outcome).toMatchObject({ kind: 'quarantine', key: expect.stringMatching(/^line:4:[0-9a-f]{64}$/) })
      expect(JSON.stringify(outcome)).not.toMatch(/9990000085|9990000018/)
    }
  })
})
