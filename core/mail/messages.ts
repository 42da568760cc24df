import type { Notification, NotificationKind } from '../../db/queries/notifications.js'

// What the mails say (decision 034): counts, practice names, rule titles and links to the page
// where one acts, never a patient (the pseudonym is on the page behind the link, where viewing
// it is logged).

export interface ComposedMail {
  subject: string
  text: string
}

/** "7 Dec 2026", as on the dashboard, from a YYYY-MM-DD day. */
export function mailDay(day: string): string {
  return new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' }).format(
    new Date(`${day}T00:00:00Z`),
  )
}

/** The day of `now` in the schedule's time zone (YYYY-MM-DD): a digest is one per user per such day. */
export function dayIn(timeZone: string, now: Date): string {
  return new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone }).format(now)
}

type Line = { key: string; count: number; one: string; many: string; path: string }

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`

/** One line per kind of thing (overdue and soon-due reviews apart), in the page's order of urgency. */
function digestLines(items: Notification[], dueSoonDays: number): Line[] {
  const count = (kind: NotificationKind, test: (n: Notification) => boolean = () => true) =>
    items.filter((n) => n.kind === kind && test(n)).length
  const lines: Line[] = [
    {
      key: 'overdue',
      count: count('override_due', (n) => n.urgency === 0),
      one: 'override review is past due',
      many: 'override reviews are past due',
      path: '/overrides',
    },
    {
      key: 'countersignature',
      count: count('countersignature'),
      one: 'review awaits your countersignature',
      many: 'reviews await your countersignature',
      path: '/overrides',
    },
    {
      key: 'high_finding',
      count: count('high_finding'),
      one: 'new high-severity finding is open',
      many: 'new high-severity findings are open',
      path: '/findings',
    },
    {
      key: 'due_soon',
      count: count('override_due', (n) => n.urgency !== 0),
      one: `override review falls due within ${dueSoonDays} days`,
      many: `override reviews fall due within ${dueSoonDays} days`,
      path: '/overrides',
    },
    {
      key: 'failed_run',
      count: count('failed_run'),
      one: 'collection run failed in the last 7 days',
      many: 'collection runs failed in the last 7 days',
      path: '/jobs',
    },
    {
      key: 'silent_source',
      count: count('silent_source'),
      one: 'source has been silent past its expected interval',
      many: 'sources have been silent past their expected interval',
      path: '/jobs',
    },
  ]
  return lines.filter((l) => l.count > 0)
}

/** The daily digest of a user's notifications, or null when there is nothing to tell. */
export function composeDigest(input: {
  displayName: string
  day: string
  items: Notification[]
  publicUrl: string
  dueSoonDays: number
}): ComposedMail | null {
  const lines = digestLines(input.items, input.dueSoonDays)
  if (lines.length === 0) return null
  const total = input.items.length
  const practices = [
    ...new Set(
      input.items.map((n) => (n.practiceName ? `${n.practiceName} (${n.practiceOds})` : null)).filter((p): p is string => p !== null),
    ),
  ].sort()
  const text = [
    `Hello ${input.displayName},`,
    '',
    `${plural(total, 'thing needs', 'things need')} you in Sharing Ledger on ${mailDay(input.day)}:`,
    '',
    ...lines.map((l) => `- ${plural(l.count, l.one, l.many)}: ${input.publicUrl}${l.path}`),
    '',
    `Everything, most urgent first: ${input.publicUrl}/notifications`,
    ...(practices.length ? ['', `Practices concerned: ${practices.join(', ')}.`] : []),
    '',
    'Sign in to see the details. This mail names no patient: the records are on the pages it links to.',
    'You receive one digest a day when something needs you.',
  ].join('\n')
  return { subject: `Sharing Ledger: ${plural(total, 'thing needs', 'things need')} you (${mailDay(input.day)})`, text }
}

/** The immediate mail to a Caldicott guardian about one new high-severity finding. */
export function composeHighFindingAlert(input: {
  displayName: string
  findingId: number
  practiceName: string
  practiceOds: string
  ruleTitle: string
  publicUrl: string
}): ComposedMail {
  const at = `${input.practiceName} (${input.practiceOds})`
  return {
    subject: `Sharing Ledger: new high-severity finding at ${at}`,
    text: [
      `Hello ${input.displayName},`,
      '',
      `A new high-severity finding is open at ${at}: ${input.ruleTitle}.`,
      '',
      `Open finding ${input.findingId}: ${input.publicUrl}/findings/${input.findingId}`,
      '',
      'Sign in to see the details. This mail names no patient: the records are on the page it links to.',
      'You receive this once per finding, as a Caldicott guardian of the practice.',
    ].join('\n'),
  }
}

/** A scheduled report is ready: a link to sign in and download it, never the file. */
export function composeScheduledReport(input: {
  displayName: string
  reportTitle: string
  practices: string[]
  from: string
  to: string
  reportId: string
  publicUrl: string
  keepDays: number
}): ComposedMail {
  const period = `${mailDay(input.from)} to ${mailDay(input.to)}`
  return {
    subject: `Sharing Ledger: ${input.reportTitle}, ${period}, is ready`,
    text: [
      `Hello ${input.displayName},`,
      '',
      `The scheduled ${input.reportTitle.toLowerCase()} for ${input.practices.join(', ')}, ${period}, has been produced and signed.`,
      '',
      `Sign in and download it: ${input.publicUrl}/reports/${input.reportId}/pdf`,
      `It is kept for ${input.keepDays} days; every report produced is listed at ${input.publicUrl}/reports`,
      '',
      'The report is not attached: it stays in Sharing Ledger, where each download is recorded.',
    ].join('\n'),
  }
}
