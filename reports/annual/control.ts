import { controlSet, type Decision } from '../disclosure-set.js'
import { controlledCount, showCount } from '../disclosure-control.js'

// Disclosure control for the annual report's own small tables (decision 035): a table of counts
// about individuals and its total, decided together by the same solver as the commissioner set
// (reports/disclosure-set.ts), so no row hidden as "*" can be worked out from the total and the
// other rows. Counts not about individuals (agreements, sources) are printed as they are.

export interface ControlledTable<K extends string> {
  rows: Record<K, Decision>
  total: Decision
}

/** Decides a table of parts that add up to a printed total. */
export function controlTable<K extends string>(parts: Record<K, number>): ControlledTable<K> {
  const keys = Object.keys(parts) as K[]
  const atoms = new Map(keys.map((k) => [k, parts[k]]))
  const total = keys.reduce((s, k) => s + parts[k], 0)
  const outcome = controlSet({
    figures: [...keys.map((k) => ({ key: k, raw: parts[k], terms: [k] })), { key: '\u0000total', raw: total, terms: keys }],
    atoms,
    links: [],
    tables: [{ total: '\u0000total', parts: keys }],
  })
  return {
    rows: Object.fromEntries(keys.map((k) => [k, outcome.published.get(k)!])) as Record<K, Decision>,
    total: outcome.published.get('\u0000total')!,
  }
}

/** A count about individuals printed on its own (no total it adds up to). */
export const controlledText = (n: number): string => showCount(controlledCount(n))
export { showCount }
