// Disclosure control for counts about individuals that leave the practice below national level
// (domain.md section 4; NHS Digital HES/ECDS rule, also OpenSAFELY's):
//   0 stays 0; 1 to 7 becomes "*"; everything else is rounded to the nearest 5;
//   percentages are computed from the rounded figures;
//   a total that would let a reader subtract back a suppressed cell is suppressed too.
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

export interface ControlledTable {
  /** Published cells: number, or null when suppressed (primary or secondary). */
  cells: Array<Array<number | null>>
  rowTotals: Array<number | null>
  columnTotals: Array<number | null>
  grandTotal: number | null
  /** Which cells, row/column totals and grand total were suppressed by the secondary rule. */
  secondary: { rowTotals: number[]; columnTotals: number[]; grandTotal: boolean }
}

/**
 * Controls a table of raw counts with its margins. Totals are computed from the RAW cells, then
 * controlled like any count; then secondary suppression: a row (column) total is suppressed
 * when exactly one cell of its row (column) is suppressed, because total minus the other cells
 * would give it back; the grand total likewise when exactly one row total or exactly one
 * column total is suppressed. Rounding alone does not count as protection here: with only one
 * hidden cell, subtraction narrows it to a few values, which the rule does not allow.
 */
export function controlTable(raw: number[][]): ControlledTable {
  const rows = raw.length
  const cols = rows === 0 ? 0 : raw[0]!.length
  const cells = raw.map((r) => r.map(controlledCount))
  const rawRowTotals = raw.map((r) => r.reduce((a, b) => a + b, 0))
  const rawColTotals = Array.from({ length: cols }, (_, j) => raw.reduce((a, r) => a + r[j]!, 0))
  const rowTotals = rawRowTotals.map(controlledCount)
  const columnTotals = rawColTotals.map(controlledCount)
  const secondary = { rowTotals: [] as number[], columnTotals: [] as number[], grandTotal: false }

  cells.forEach((r, i) => {
    if (rowTotals[i] !== null && r.filter((c) => c === null).length === 1) {
      rowTotals[i] = null
      secondary.rowTotals.push(i)
    }
  })
  for (let j = 0; j < cols; j++) {
    if (columnTotals[j] !== null && cells.filter((r) => r[j] === null).length === 1) {
      columnTotals[j] = null
      secondary.columnTotals.push(j)
    }
  }
  let grandTotal = controlledCount(rawRowTotals.reduce((a, b) => a + b, 0))
  const hiddenRows = rowTotals.filter((t) => t === null).length
  const hiddenCols = columnTotals.filter((t) => t === null).length
  if (grandTotal !== null && (hiddenRows === 1 || hiddenCols === 1)) {
    grandTotal = null
    secondary.grandTotal = true
  }
  return { cells, rowTotals, columnTotals, grandTotal, secondary }
}

/** A single list of counts with its total (a one-column table). */
export function controlList(raw: number[]): { values: Array<number | null>; total: number | null } {
  const t = controlTable(raw.map((n) => [n]))
  return { values: t.cells.map((r) => r[0]!), total: t.columnTotals.length > 0 ? t.columnTotals[0]! : 0 }
}

export const DISCLOSURE_CONTROL_NOTE =
  'Disclosure control: every count in this report is about individuals, so before publication 0 stays 0, ' +
  'counts from 1 to 7 are shown as "*", and all other counts are rounded to the nearest 5. Percentages are ' +
  'computed from the rounded figures. Where a total would let a reader work out a single hidden count by ' +
  'subtraction, the total is hidden as well ("*"). Totals are rounded independently, so rows may not add up.'
