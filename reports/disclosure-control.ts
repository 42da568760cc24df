// Disclosure control for counts about individuals that leave the practice below national level
// (decisions 009 and 021; NHS Digital's HES/ECDS rule, also OpenSAFELY's):
//   0 stays 0; 1 to 7 becomes "*"; everything else is rounded to the nearest 5;
//   percentages are computed from the rounded figures.
// Which further figures must be hidden so that no table, report or set of reports gives a
// hidden count back is decided in reports/disclosure-set.ts (docs/decisions/021).
// Pure functions, no I/O.

export const SUPPRESSED = '*'
export const SUPPRESSION_MAX = 7

/** The published figure for a count: a number (0 or rounded to 5), or null when suppressed. */
export function controlledCount(n: number): number | null {
  if (!Number.isInteger(n) || n < 0) throw new Error(`not a count: ${n}`)
  if (n === 0) return 0
  if (n <= SUPPRESSION_MAX) return null
  return Math.round(n / 5) * 5
}

export function showCount(v: number | null): string {
  return v === null ? SUPPRESSED : v.toLocaleString('en-GB')
}

/** Shorthand: the text to print for a raw count. */
export function controlCountText(n: number): string {
  return showCount(controlledCount(n))
}

/** A percentage from published (rounded) figures; "*" when either is suppressed, "" when the denominator is 0. */
export function controlledPercent(numerator: number | null, denominator: number | null, decimals = 1): string {
  if (numerator === null || denominator === null) return SUPPRESSED
  if (denominator === 0) return ''
  return `${((numerator / denominator) * 100).toFixed(decimals)}%`
}

export const DISCLOSURE_CONTROL_NOTE =
  'Disclosure control: every count in this report is about individuals, so before publication 0 stays 0, ' +
  'counts from 1 to 7 are shown as "*", and all other counts are rounded to the nearest 5. Percentages are ' +
  'computed from the rounded figures. Further figures are shown as "*" wherever the published figures of this ' +
  'report, or of the quarterly, annual and ICB roll-up reports of the same financial year, would let a reader ' +
  'narrow a hidden count; a figure is shown the same way in every table and report. Totals are rounded ' +
  'independently, so rows may not add up. "no data" means the month was not collected, which is not 0.'
