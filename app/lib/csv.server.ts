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
  },
): Promise<Response> {
  await access.log('export', {
    practiceIds: access.practiceIds,
    target: options.url.pathname,
    detail: { filters: Object.fromEntries(options.url.searchParams), rows: options.rows.length },
  })
  const lines = [options.columns.map((c) => csvCell(c.header)).join(',')]
  for (const row of options.rows) lines.push(options.columns.map((c) => csvCell(c.value(row))).join(','))
  const stamp = new Date().toISOString().slice(0, 10)
  return new Response(`${lines.join('\r\n')}\r\n`, {
    headers: {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="${options.name}-${stamp}.csv"`,
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
