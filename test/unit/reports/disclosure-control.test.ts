import { describe, expect, it } from 'vitest'
import { controlCountText, controlledCount, controlledPercent } from '../../../reports/disclosure-control.js'
import { Attack, controlSet, type ControlProblem } from '../../../reports/disclosure-set.js'

describe('disclosure control', () => {
  it('keeps 0, hides 1 to 7, rounds the rest to the nearest 5', () => {
    expect([0, 1, 5, 7, 8, 10, 12, 13, 17, 18, 102, 1003].map(controlCountText)).toEqual([
      '0',
      '*',
      '*',
      '*',
      '10',
      '10',
      '10',
      '15',
      '15',
      '20',
      '100',
      '1,005',
    ])
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
})

/** One table: parts a, b, ... (one atom each) and their total. */
function table(parts: number[], extra: Partial<ControlProblem> = {}): ControlProblem {
  const keys = parts.map((_, i) => `p${i}`)
  return {
    figures: [
      ...parts.map((raw, i) => ({ key: keys[i]!, raw, terms: [`a${i}`] })),
      { key: 'total', raw: parts.reduce((s, n) => s + n, 0), terms: keys.map((_, i) => `a${i}`) },
    ],
    atoms: new Map(parts.map((n, i) => [`a${i}`, n])),
    links: [],
    tables: [{ total: 'total', parts: keys }],
    ...extra,
  }
}

const spans = (p: ControlProblem, published: Map<string, number | null>, key: string) => {
  const iv = new Attack(p).interval(published, key, true)!
  return iv[0] <= 1 && iv[1] >= 7
}

describe('disclosure control over a set of tables (complementary suppression by attack)', () => {
  it('hides one more figure where subtraction through the rounding would narrow a hidden count', () => {
    // 1 hidden; 103 -> 105 and 104 -> 105 would say 105+-2 - 105+-2 = -4..4, so the 1 is in 1..4
    const p = table([1, 103])
    const o = controlSet(p)
    expect(o.published.get('p0')).toBeNull()
    expect(o.complementary.size).toBe(1)
    expect(spans(p, o.published, 'p0')).toBe(true)
    // without the complement the attack narrows it
    expect(
      spans(
        p,
        new Map([
          ['p0', null],
          ['p1', 105],
          ['total', 105],
        ]),
        'p0',
      ),
    ).toBe(false)
  })

  it('catches the [6, 7] case: two hidden 7s under a published 15', () => {
    // 14 -> 15 means 13..17, so each hidden 7 is at least 13 - 7 = 6
    const p = table([7, 7])
    expect(
      spans(
        p,
        new Map([
          ['p0', null],
          ['p1', null],
          ['total', 15],
        ]),
        'p0',
      ),
    ).toBe(false)
    const o = controlSet(p)
    expect(o.published.get('total')).toBeNull()
    expect(spans(p, o.published, 'p0')).toBe(true)
  })

  it('leaves a table alone where rounding already covers the band', () => {
    // 3 hidden among 57 -> 55 and a total of 60: 58..62 - 53..57 = 1..9
    const o = controlSet(table([57, 3]))
    expect(o.complementary.size).toBe(0)
    expect(o.published.get('total')).toBe(60)
  })

  it('accepts what the stars alone say: a hidden total of 5 split into 2 and 3', () => {
    const o = controlSet(table([2, 3, 0]))
    expect(o.unresolved).toEqual([])
    expect(o.published.get('p2')).toBe(0)
    expect([o.published.get('p0'), o.published.get('p1'), o.published.get('total')]).toEqual([null, null, null])
  })

  it('decides a figure once, however many tables print it, and never changes fixed decisions', () => {
    // the total is also the total of a second table with parts 50 and 54
    const p: ControlProblem = {
      figures: [
        { key: 'p0', raw: 1, terms: ['a0'] },
        { key: 'p1', raw: 103, terms: ['a1'] },
        { key: 'q0', raw: 50, terms: ['b0'] },
        { key: 'q1', raw: 54, terms: ['b1'] },
        { key: 'total', raw: 104, terms: ['a0', 'a1'] },
      ],
      atoms: new Map([
        ['a0', 1],
        ['a1', 103],
        ['b0', 50],
        ['b1', 54],
      ]),
      links: [
        [
          ['a0', 'a1'],
          ['b0', 'b1'],
        ],
      ],
      tables: [
        { total: 'total', parts: ['p0', 'p1'] },
        { total: 'total', parts: ['q0', 'q1'] },
      ],
    }
    const o = controlSet(p)
    expect(spans(p, o.published, 'p0')).toBe(true)
    // the hidden total cannot be read back from the second table
    if (o.published.get('total') === null) expect(o.published.get('q0') === null || o.published.get('q1') === null).toBe(true)
    const fixed = controlSet({ ...p, fixed: new Map([['p1', null]]) })
    expect(fixed.published.get('p1')).toBeNull()
    expect(fixed.complementary.has('p1')).toBe(false)
  })
})
