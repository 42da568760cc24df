import cron from 'node-cron'
import { periodPresets, type PresetId } from './period-presets.js'

// Scheduled reports (decision 034): which periods a schedule may name, and when it is due.
// Shared by the page that records schedules and the job that produces them.

export const SCHEDULED_REPORT_KINDS = ['audit', 'commissioner', 'annual'] as const
export type ScheduledReportKind = (typeof SCHEDULED_REPORT_KINDS)[number]

export const PERIOD_RULES = ['last-month', 'last-quarter', 'last-12-months', 'last-financial-year'] as const satisfies readonly PresetId[]
export type PeriodRule = (typeof PERIOD_RULES)[number]

export const PERIOD_RULE_LABELS: Record<PeriodRule, string> = {
  'last-month': 'Last calendar month',
  'last-quarter': 'Last calendar quarter',
  'last-12-months': 'Last 12 whole months',
  'last-financial-year': 'Last financial year (1 April to 31 March)',
}

/** The period a rule names on `today` (YYYY-MM-DD in England): whole months before it. */
export function periodOf(rule: PeriodRule, today: string): { from: string; to: string } {
  const p = periodPresets(today).find((x) => x.id === rule)!
  return { from: p.from, to: p.to }
}

/**
 * Why a cron expression cannot schedule a report, or null. The minute and hour must be fixed
 * numbers: a report at most once an hour, so a typo cannot mail a report every minute.
 */
export function scheduleCronProblem(expression: string): string | null {
  const fields = expression.trim().split(/\s+/)
  if (fields.length !== 5 || !cron.validate(expression))
    return 'Enter a cron expression of five fields, such as "0 7 1 * *" (07:00 on the 1st of each month).'
  if (!/^\d+$/.test(fields[0]!) || !/^\d+$/.test(fields[1]!))
    return 'Give the minute and hour as numbers (such as "0 7"): a report runs at most once an hour.'
  return null
}

const MINUTE = 60_000
/** How far back a late or restarted scheduler still produces a missed report. */
export const CATCH_UP_MINUTES = 24 * 60

/** The latest minute in (since, now] the expression fires at (in `timezone`), or null. */
export function latestDueMinute(expression: string, timezone: string, since: Date, now: Date): Date | null {
  const task = cron.createTask(expression, () => {}, { timezone })
  try {
    const floor = Math.max(since.getTime(), now.getTime() - CATCH_UP_MINUTES * MINUTE)
    for (let t = Math.floor(now.getTime() / MINUTE) * MINUTE; t > floor; t -= MINUTE) {
      if (task.match(new Date(t))) return new Date(t)
    }
    return null
  } finally {
    // createTask registers the task globally; destroy it so it does not linger.
    void task.destroy()
  }
}
