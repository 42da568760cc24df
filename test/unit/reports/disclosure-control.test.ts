import { describe, expect, it } from 'vitest'
import { controlCountText, controlledCount, controlledPercent, controlList, controlTable } from '../../../reports/disclosure-control.js'

describe('disclosure control', () => {
  it('keeps 0, hides 1 to 7, rounds the rest to the nearest 5', () => {
    expect([0, 1, 5, 7, 8, 10, 12, 13, 17, 18, 102, 1003].map(controlCountText)).toEqual(['0', '*', '*', '*', '10', '10', '10', '15', '15', '20', '100', '1,005'])
    expect(controlledCount(7)).toBeNull()
    expect(controlledCount(8)).toBe(10)
    expect(() => controlledCount(-1)).toThrow()
  })

  it('computes percentages from the rounded figures', () => {
    // raw 12 of 103 is 11.65%; published 10 of 105 is 9.5%
    expect(controlledPercent(controlledCount(12), controlledCount(103))).toBe('9.5%')
    expect(controlledPercent(controlledCount(3), controlledCount(103))).toBe('*')
    expect(controlledPercent(0, 0)).toBe('')
  })

  it('suppresses a row total that would give back the one hidden cell of its row (secondary suppression)', () => {
    // row 0: 3 is hidden; 20 + 3 = 23 would be published as 25, and 25 - 20 = 5 points at the hidden cell
    // row 1: two hidden cells: the total may stay
    const t = controlTable([
      [20, 3, 40],
      [5, 6, 50],
    ])
    expect(t.cells).toEqual([
      [20, null, 40],
      [null, null, 50],
    ])
    expect(t.rowTotals).toEqual([null, 60])
    expect(t.secondary.rowTotals).toEqual([0])
    // column 0 has one hidden cell -> its total hidden; column 1 has two -> shown; column 2 none -> shown
    expect(t.columnTotals).toEqual([null, 10, 90])
    expect(t.secondary.columnTotals).toEqual([0])
    // one row total and one column total hidden -> the grand total is hidden too
    expect(t.grandTotal).toBeNull()
    expect(t.secondary.grandTotal).toBe(true)
  })

  it('leaves totals alone when nothing is hidden, and hides a small total itself', () => {
    const t = controlTable([
      [10, 20],
      [30, 0],
    ])
    expect(t.rowTotals).toEqual([30, 30])
    expect(t.columnTotals).toEqual([40, 20])
    expect(t.grandTotal).toBe(60)
    expect(controlList([0, 4]).total).toBeNull()
    expect(controlList([0, 4, 0]).values).toEqual([0, null, 0])
    expect(controlList([12, 13]).total).toBe(25)
  })
})
