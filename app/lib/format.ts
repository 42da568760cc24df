// Fixed locale and time zone: the server and the browser must print the same text, or
// hydration fails; and the practices are in England whatever the viewer's machine says.

const count = new Intl.NumberFormat('en-GB')
const month = new Intl.DateTimeFormat('en-GB', { month: 'short', year: 'numeric', timeZone: 'UTC' })
const day = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' })
const dateTime = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  timeZone: 'Europe/London',
})

export const formatCount = (n: number) => count.format(n)

/** 'YYYY-MM-DD' -> '1 Mar 2026'. */
export const formatDay = (isoDay: string) => day.format(new Date(`${isoDay}T00:00:00Z`))

/** 'YYYY-MM-DD' (any day of the month; a longer timestamp is cut to its day) -> 'Mar 2026'. */
export const formatMonth = (isoDay: string) => month.format(new Date(`${isoDay.slice(0, 10)}T00:00:00Z`))

/** An instant -> '1 Mar 2026, 14:05' in UK time. */
export const formatDateTime = (instant: string | Date) => dateTime.format(new Date(instant))
