import { describe, expect, it } from 'vitest'
import { englandToday, periodPresets } from '../../../core/period-presets.js'

const byId = (today: string) => Object.fromEntries(periodPresets(today).map((p) => [p.id, p]))

describe('period presets', () => {
  it('in the middle of a year', () => {
    const p = byId('2026-12-06')
    expect(p['this-month']).toMatchObject({ from: '2026-12-01', to: '2026-12-06', label: 'This month (Dec 2026)' })
    expect(p['last-month']).toMatchObject({ from: '2026-11-01', to: '2026-11-30', label: 'Last month (Nov 2026)' })
    expect(p['this-quarter']).toMatchObject({ from: '2026-10-01', to: '2026-12-06', label: 'This quarter (Oct to Dec 2026)' })
    expect(p['last-quarter']).toMatchObject({ from: '2026-07-01', to: '2026-09-30', label: 'Last quarter (Jul to Sept 2026)' })
    expect(p['last-12-months']).toMatchObject({ from: '2025-12-01', to: '2026-11-30', label: 'Last 12 months (Dec 2025 to Nov 2026)' })
    expect(p['this-financial-year']).toMatchObject({ from: '2026-04-01', to: '2026-12-06', label: 'This financial year (from 1 Apr 2026)' })
  })

  it('across the turn of the year (January)', () => {
    const p = byId('2027-01-01')
    expect(p['this-month']).toMatchObject({ from: '2027-01-01', to: '2027-01-01' })
    expect(p['last-month']).toMatchObject({ from: '2026-12-01', to: '2026-12-31', label: 'Last month (Dec 2026)' })
    expect(p['this-quarter']).toMatchObject({ from: '2027-01-01', to: '2027-01-01' })
    expect(p['last-quarter']).toMatchObject({ from: '2026-10-01', to: '2026-12-31', label: 'Last quarter (Oct to Dec 2026)' })
    expect(p['last-12-months']).toMatchObject({ from: '2026-01-01', to: '2026-12-31', label: 'Last 12 months (Jan to Dec 2026)' })
    // Before 1 April the financial year began last year.
    expect(p['this-financial-year']).toMatchObject({ from: '2026-04-01', to: '2027-01-01' })
  })

  it('at the financial year boundary (31 March, 1 April)', () => {
    expect(byId('2027-03-31')['this-financial-year']).toMatchObject({ from: '2026-04-01', to: '2027-03-31' })
    expect(byId('2027-04-01')['this-financial-year']).toMatchObject({ from: '2027-04-01', to: '2027-04-01' })
    // the whole financial year before (the annual Caldicott report's period)
    expect(byId('2027-03-31')['last-financial-year']).toMatchObject({ from: '2025-04-01', to: '2026-03-31' })
    expect(byId('2027-04-01')['last-financial-year']).toMatchObject({
      from: '2026-04-01',
      to: '2027-03-31',
      label: 'Last financial year (Apr 2026 to Mar 2027)',
    })
    expect(byId('2027-04-01')['last-quarter']).toMatchObject({ from: '2027-01-01', to: '2027-03-31' })
  })

  it('knows month lengths and leap years', () => {
    expect(byId('2028-03-15')['last-month']).toMatchObject({ from: '2028-02-01', to: '2028-02-29' })
    expect(byId('2027-03-15')['last-month']).toMatchObject({ from: '2027-02-01', to: '2027-02-28' })
    expect(byId('2026-05-31')['last-month']).toMatchObject({ from: '2026-04-01', to: '2026-04-30' })
  })

  it('every preset is a valid period (from <= to)', () => {
    for (const day of ['2026-01-01', '2026-03-31', '2026-04-01', '2026-06-30', '2026-12-31', '2028-02-29']) {
      for (const p of periodPresets(day)) expect(p.from <= p.to, `${day} ${p.id}`).toBe(true)
    }
  })

  it("today is England's day, not UTC's (British Summer Time)", () => {
    // 23:30 UTC on 31 March 2027 is 00:30 on 1 April in England (BST).
    expect(englandToday(new Date('2027-03-31T23:30:00Z'))).toBe('2027-04-01')
    // In winter England is on UTC.
    expect(englandToday(new Date('2026-12-31T23:30:00Z'))).toBe('2026-12-31')
  })

  it('refuses what is not a day', () => {
    expect(() => periodPresets('06/12/2026')).toThrow(/not a day/)
  })
})
