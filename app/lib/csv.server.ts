import type { Access } from './access.server.js'

/**
 * A CSV download of what a list page shows, with the same filters. Every export is written to
 * the access log (who, what, which filters, how many rows) before the file leaves.
 */
export async function csvExport<T>(
  access: Access,
  options: {
    name: string
    url: URL
    columns: Array<{ header: string; value: (row: T) => unknown }>
    rows: T[]
    /** False for lists that no practice or period narrows (the admin lists): the name is then type and day. */
    filtered?: boolean
  },
): Promise<Response> {
  await access.log('export', {
    practiceIds: access.practiceIds,
    target: options.url.pathname,
    detail: { filters: Object.fromEntries(options.url.searchParams), rows: options.rows.length },
  })
  const lines = [options.columns.map((c) => csvCell(c.header)).join(',')]
  for (const row of options.rows) lines.push(options.columns.map((c) => csvCell(c.value(row))).join(','))
  // The byte-order mark tells Excel the file is UTF-8 (without it "’" arrives as "â€™").
  return new Response(`\uFEFF${lines.join('\r\n')}\r\n`, {
    headers: {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="${csvFileName(access, options.name, options.url, options.filtered ?? true)}"`,
      'Cache-Control': 'no-store',
    },
  })
}

/** RFC 4180 quoting, and a leading quote on =, +, -, @ so a spreadsheet never runs a cell as a formula. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return ''
  let text = value instanceof Date ? value.toISOString() : String(value)
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

/**
 * Says what made the file: type, practice and period, e.g. disclosures_A81001_2026-07-01_2026-09-30.csv.
 * An open end of the period is the day of the download, since that is what the file holds.
 */
export function csvFileName(access: Pick<Access, 'viewer' | 'practiceIds'>, name: string, url: URL, filtered = true): string {
  const today = new Date().toISOString().slice(0, 10)
  if (!filtered) return `${name}_${today}.csv`
  const chosen = access.viewer.practices.filter((p) => access.practiceIds.includes(p.id)).map((p) => p.odsCode)
  const practice = url.searchParams.getAll('practice').length > 0 || chosen.length === 1 ? chosen.join('-') : 'all-practices'
  const from = url.searchParams.get('from')
  const to = url.searchParams.get('to')
  const period = from || to ? `${from || 'start'}_${to || today}` : `all-dates-to_${today}`
  // Only the characters a file name can safely hold (the values are checked already; this is belt and braces).
  return `${name}_${practice || 'all-practices'}_${period}.csv`.replace(/[^A-Za-z0-9_.-]/g, '')
}
