import { describe, expect, it } from 'vitest'
import { splitPeriod } from '../../../db/queries/rollup-source.js'

describe('splitPeriod: whole months for the monthly roll-ups, odd days for the daily ones', () => {
  it('keeps a period of whole months whole', () => {
    expect(splitPeriod('2025-11-01', '2026-10-31')).toEqual({ months: { from: '2025-11-01', to: '2026-10-01' }, days: [] })
    expect(splitPeriod('2024-02-01', '2024-02-29')).toEqual({ months: { from: '2024-02-01', to: '2024-02-01' }, days: [] })
  })

  it('splits off the odd days at either end', () => {
    expect(splitPeriod('2025-11-02', '2026-11-01')).toEqual({
      months: { from: '2025-12-01', to: '2026-10-01' },
      days: [
        { from: '2025-11-02', to: '2025-11-30' },
        { from: '2026-11-01', to: '2026-11-01' },
      ],
    })
    expect(splitPeriod('2025-12-31', '2026-02-28')).toEqual({ months: { from: '2026-01-01', to: '2026-02-01' }, days: [{ from: '2025-12-31', to: '2025-12-31' }] })
  })

  it('reads days only when no whole month fits', () => {
    expect(splitPeriod('2026-03-29', '2026-03-29')).toEqual({ months: null, days: [{ from: '2026-03-29', to: '2026-03-29' }] })
    expect(splitPeriod('2026-03-15', '2026-04-14')).toEqual({ months: null, days: [{ from: '2026-03-15', to: '2026-04-14' }] })
  })

  it('leaves open ends open', () => {
    expect(splitPeriod(undefined, undefined)).toEqual({ months: { from: undefined, to: undefined }, days: [] })
    expect(splitPeriod('2026-07-10', undefined)).toEqual({ months: { from: '2026-08-01', to: undefined }, days: [{ from: '2026-07-10', to: '2026-07-31' }] })
    expect(splitPeriod(undefined, '2026-07-10')).toEqual({ months: { from: undefined, to: '2026-06-01' }, days: [{ from: '2026-07-01', to: '2026-07-10' }] })
  })
})
