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

/** London's offset from UTC (ms) during one UTC hour; clocks change on whole UTC hours. */
const offsetByHour = new Map<number, number>()
function londonOffset(ms: number): number {
  const hour = Math.floor(ms / 3_600_000)
  let off = offsetByHour.get(hour)
  if (off === undefined) {
    const at = hour * 3_600_000
    const p = Object.fromEntries(timeFmt.formatToParts(new Date(at)).map((x) => [x.type, x.value]))
    off = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute)) - at
    if (offsetByHour.size >= 100_000) offsetByHour.clear()
    offsetByHour.set(hour, off)
  }
  return off
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n))

/** "2026-03-01 14:05" in Europe/London. */
export function formatTime(value: Date | string | null | undefined): string {
  if (value === null || value === undefined) return ''
  const ms = (value instanceof Date ? value : new Date(value)).getTime()
  const local = new Date(ms + londonOffset(ms)) // its UTC fields are London's wall clock
  return `${local.getUTCFullYear()}-${pad2(local.getUTCMonth() + 1)}-${pad2(local.getUTCDate())} ${pad2(local.getUTCHours())}:${pad2(local.getUTCMinutes())}`
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
