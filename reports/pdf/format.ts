// Formatting shared by every report. Times are shown in England's local time.

const timeFmt = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hour12: false,
})

/** "2026-03-01 14:05" in Europe/London. */
export function formatTime(value: Date | string | null | undefined): string {
  if (value === null || value === undefined) return ''
  const d = value instanceof Date ? value : new Date(value)
  const parts = Object.fromEntries(timeFmt.formatToParts(d).map((p) => [p.type, p.value]))
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`
}

/** A date column ('YYYY-MM-DD') whether pg returned a Date or a string. */
export function formatDay(value: Date | string | null | undefined): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'string') return value.slice(0, 10)
  const y = value.getFullYear()
  const m = String(value.getMonth() + 1).padStart(2, '0')
  const d = String(value.getDate()).padStart(2, '0')
  return `${y}-${m}-${d}`
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-GB')
}

/** The en dash used between period bounds. */
export const DASH = '\u2013'
