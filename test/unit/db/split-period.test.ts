import { describe, expect, it } from 'vitest'
import { splitPeriod } from '../../../db/queries/rollup-source.js'

// 2025-11-16 is a Sunday, 2025-11-17 a Monday; 2026-11-01 a Sunday.
describe('splitPeriod: whole months, then whole weeks, then the odd days', () => {
  it('keeps a period of whole months whole', () => {
    expect(splitPeriod('2025-11-01', '2026-10-31')).toEqual({ months: { from: '2025-11-01', to: '2026-10-01' }, weeks: [], days: [] })
    expect(splitPeriod('2024-02-01', '2024-02-29')).toEqual({ months: { from: '2024-02-01', to: '2024-02-01' }, weeks: [], days: [] })
  })

  it('reads the odd days around the months as whole weeks and at most six days at each end', () => {
    expect(splitPeriod('2025-11-16', '2026-11-15')).toEqual({
      months: { from: '2025-12-01', to: '2026-10-01' },
      weeks: [
        { from: '2025-11-17', to: '2025-11-24' },
        { from: '2026-11-02', to: '2026-11-09' },
      ],
      days: [
        { from: '2025-11-16', to: '2025-11-16' },
        { from: '2026-11-01', to: '2026-11-01' },
      ],
    })
    expect(splitPeriod('2025-12-31', '2026-02-28')).toEqual({
      months: { from: '2026-01-01', to: '2026-02-01' },
      weeks: [],
      days: [{ from: '2025-12-31', to: '2025-12-31' }],
    })
  })

  it('never lets a week cross a month, even with no whole month in the period', () => {
    // 2026-10-19 is a Monday: Oct 19-25 is a whole week; Oct 26 - Nov 1 crosses the month.
    expect(splitPeriod('2026-10-19', '2026-11-08')).toEqual({
      months: null,
      weeks: [
        { from: '2026-10-19', to: '2026-10-19' },
        { from: '2026-11-02', to: '2026-11-02' },
      ],
      days: [
        { from: '2026-10-26', to: '2026-10-31' },
        { from: '2026-11-01', to: '2026-11-01' },
      ],
    })
    expect(splitPeriod('2026-03-29', '2026-03-29')).toEqual({ months: null, weeks: [], days: [{ from: '2026-03-29', to: '2026-03-29' }] })
  })

  it('leaves open ends open', () => {
    expect(splitPeriod(undefined, undefined)).toEqual({ months: { from: undefined, to: undefined }, weeks: [], days: [] })
    expect(splitPeriod('2026-07-10', undefined)).toEqual({
      months: { from: '2026-08-01', to: undefined },
      weeks: [{ from: '2026-07-13', to: '2026-07-20' }],
      days: [
        { from: '2026-07-10', to: '2026-07-12' },
        { from: '2026-07-27', to: '2026-07-31' },
      ],
    })
    expect(splitPeriod(undefined, '2026-07-10')).toEqual({
      months: { from: undefined, to: '2026-06-01' },
      weeks: [],
      days: [{ from: '2026-07-01', to: '2026-07-10' }],
    })
  })
})
