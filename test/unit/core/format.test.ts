import { describe, expect, it } from 'vitest'
import { formatCount, formatDateTime, formatDay, formatIsoDateTime, formatIsoDay, formatMonth } from '../../../core/format.js'

// Dates are shown one way, the UK's, whatever the machine's locale or time zone.
describe('date formatting', () => {
  it('writes a day as "6 Dec 2026" (no leading zero, short month, UK order)', () => {
    expect(formatDay('2026-12-06')).toBe('6 Dec 2026')
    expect(formatDay('2027-01-01')).toBe('1 Jan 2027')
    expect(formatDay('2028-02-29')).toBe('29 Feb 2028')
  })

  it('writes a month as "Dec 2026", from a day or a timestamp', () => {
    expect(formatMonth('2026-12-01')).toBe('Dec 2026')
    expect(formatMonth('2026-09-30T23:00:00.000Z')).toBe('Sept 2026') // CLDR's en-GB abbreviation, the same in Node and Chromium
  })

  it('writes an instant in England’s clock time, summer and winter', () => {
    // 23:30 UTC on 31 March 2027 is 00:30 on 1 April in British Summer Time.
    expect(formatDateTime('2027-03-31T23:30:00Z')).toBe('1 Apr 2027, 00:30')
    expect(formatDateTime(new Date('2026-12-06T14:05:00Z'))).toBe('6 Dec 2026, 14:05')
  })

  it('writes the reports’ sortable forms: "2026-12-06" and "2026-12-06 14:05" in England’s clock time', () => {
    expect(formatIsoDay('2026-12-06')).toBe('2026-12-06')
    expect(formatIsoDay('2026-12-06T23:30:00Z')).toBe('2026-12-06')
    expect(formatIsoDay(new Date(2026, 11, 6))).toBe('2026-12-06') // pg's date column: local midnight
    expect(formatIsoDay(null)).toBe('')
    expect(formatIsoDateTime('2027-03-31T23:30:00Z')).toBe('2027-04-01 00:30')
    expect(formatIsoDateTime(new Date('2026-12-06T14:05:00Z'))).toBe('2026-12-06 14:05')
    expect(formatIsoDateTime(undefined)).toBe('')
  })
})

describe('count formatting', () => {
  const intl = new Intl.NumberFormat('en-GB')
  it('groups whole numbers as en-GB does, by hand', () => {
    expect(formatCount(0)).toBe('0')
    expect(formatCount(999)).toBe('999')
    expect(formatCount(1000)).toBe('1,000')
    expect(formatCount(-1234567)).toBe('-1,234,567')
    expect(formatCount(Number.MAX_SAFE_INTEGER)).toBe('9,007,199,254,740,991')
    for (let digits = 1; digits <= 16; digits++) {
      for (const n of [10 ** (digits - 1), 10 ** digits - 1, Math.floor(10 ** digits / 7)]) {
        if (!Number.isSafeInteger(n)) continue
        expect(formatCount(n)).toBe(intl.format(n))
        expect(formatCount(-n)).toBe(intl.format(-n))
      }
    }
  })

  it('leaves fractions and non-finite values to Intl', () => {
    for (const n of [1.5, 1234.567, 2 ** 60, Infinity, NaN]) expect(formatCount(n)).toBe(intl.format(n))
  })
})
