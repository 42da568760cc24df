/** Prints rows as an aligned plain-text table (no colours: output is often piped). */
export function printTable(rows: Array<Record<string, unknown>>): void {
  if (rows.length === 0) {
    console.log('(none)')
    return
  }
  const columns = Object.keys(rows[0]!)
  const cell = (v: unknown) => (v instanceof Date ? v.toISOString() : v === null || v === undefined ? '' : String(v))
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)))
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd()
  console.log(line(columns))
  for (const r of rows) console.log(line(columns.map((c) => cell(r[c]))))
}
