import { describe, expect, it } from 'vitest'
import {
  NHS_NUMBER_MASK,
  findNhsNumbers,
  hasNhsNumber,
  isValidNhsNumber,
  maskNhsNumbers,
  namesPatientOrRelative,
  personSignal,
  quoteSafely,
  storableText,
} from '../../../core/identifiers.js'

const VALID = '9434766044'
// The same digits with the check digit changed: not an NHS number, still ten digits.
const INVALID = '9434766045'

describe('NHS number detection', () => {
  it('checks the modulus 11 check digit', () => {
    expect(isValidNhsNumber(VALID)).toBe(true)
    expect(isValidNhsNumber('9990000018')).toBe(true)
    expect(isValidNhsNumber(INVALID)).toBe(false)
    expect(isValidNhsNumber('123456789')).toBe(false)
  })

  it('finds a number in every grouping and separator, and says whether its check digit is right', () => {
    const written = [
      '9434766044',
      '943 476 6044',
      '943-476-6044',
      '943.476.6044',
      '943  476  6044',
      '94347 66044',
      '94347-66044',
      '9 4 3 4 7 6 6 0 4 4',
      '943\t476\u00a06044',
      '943 / 476 / 6044',
      '943_476_6044',
    ]
    for (const text of written) {
      const found = findNhsNumbers(`Records of ${text} sent`)
      expect(found, text).toHaveLength(1)
      expect(found[0]!.valid, text).toBe(true)
      expect(maskNhsNumbers(`Records of ${text} sent`), text).toBe(`Records of ${NHS_NUMBER_MASK} sent`)
    }
    expect(maskNhsNumbers('Alert 943 476 6044: started')).toBe(`Alert ${NHS_NUMBER_MASK}: started`)
    expect(findNhsNumbers(`id ${INVALID.replace(/(\d{3})(\d{3})(\d{4})/, '$1 $2 $3')}`)).toEqual([
      expect.objectContaining({ valid: false }),
    ])
  })

  it('treats any ten digits that could be an NHS number the same, valid check digit or not', () => {
    expect(hasNhsNumber(`invoice ${INVALID}`)).toBe(true)
    expect(maskNhsNumbers(`invoice ${INVALID}`)).toBe(`invoice ${NHS_NUMBER_MASK}`)
    // Ten digits at the end of a longer grouped figure are masked too: the safe side (decision 016).
    expect(hasNhsNumber('+44 161 496 0000')).toBe(true)
    // Inside an identifier, too.
    expect(maskNhsNumbers(`user${VALID}@practice`)).toBe(`user${NHS_NUMBER_MASK}@practice`)
  })

  it('leaves dates, times, phone numbers and short or long figures alone', () => {
    for (const text of [
      '2026-03-02 09:00',
      '2026-03-02T09:00:00Z',
      '01/02/2026',
      '0161 496 0000',
      '123456789',
      '12345678901',
      'RX1',
      'A81001',
      '1,234,567,890',
    ]) {
      expect(hasNhsNumber(text), text).toBe(false)
    }
  })

  it('quotes a value in a reason without its digits and without its bulk', () => {
    expect(quoteSafely(`code ${VALID}`)).toBe(`code ${NHS_NUMBER_MASK}`)
    expect(quoteSafely('x'.repeat(500), 60)).toBe(`${'x'.repeat(60)}…`)
    expect(quoteSafely(`cut ${VALID.slice(0, 5)}`)).toBe(`cut ${VALID.slice(0, 5)}`)
  })

  it('caps stored text with a marker, masking before it cuts', () => {
    const long = `${'a'.repeat(995)}${VALID}${'b'.repeat(10_000_000)}`
    const stored = storableText(long, 1000)!
    expect(stored.length).toBeLessThan(1100)
    expect(stored).toMatch(/… \[cut at 1,000 characters\]$/)
    expect(stored).not.toMatch(/\d{4}/)
    expect(storableText('', 1000)).toBeNull()
    expect(storableText('Summary', 1000)).toBe('Summary')
  })
})

describe('people named as recipients', () => {
  it('knows the patient, a relative or a representative, by role or by title', () => {
    for (const name of [
      'Mrs Jane Doe (mother of patient)',
      'Patient',
      'the patient',
      'Patient (self)',
      'Relative',
      'Next of kin',
      'Father of the patient',
      'carer of patient',
      "the patient's wife",
      'Son to patient',
      'Mr John Doe',
      'Dr. A Smith',
      'Miss J. Roe',
      'Ms Ann Bloggs',
    ]) {
      expect(personSignal(name), name).toBe('patient_or_representative')
    }
    expect(namesPatientOrRelative('Daughter of the patient')).toBe(true)
    expect(namesPatientOrRelative('Dr K Rahman')).toBe(false)
  })

  it('does not guess at a bare personal name, and leaves organisations alone', () => {
    expect(personSignal('John Doe')).toBe('personal_name')
    expect(personSignal('Jane A. Doe')).toBe('personal_name')
    for (const name of [
      'Dr Shah & Partners',
      'Dr Jones Surgery',
      'County Hospital NHS Foundation Trust',
      'Cleveland Police',
      'Smith, Jones & Co Solicitors',
      'Aviva Insurance',
      'City University',
      'Acme Marketing Ltd',
      'Riverside Borough Council',
      'Boots',
      'NHS Patient Survey Programme',
      'RX1',
      '',
    ]) {
      expect(personSignal(name), name).toBeNull()
    }
  })
})
