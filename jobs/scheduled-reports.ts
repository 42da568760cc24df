import { requireSigningKey } from '../config/env.js'
import { deliver, type MailRunResult } from '../core/mail/send.js'
import { composeScheduledReport } from '../core/mail/messages.js'
import { createMailTransport, type MailTransport } from '../core/mail/transport.js'
import { englandToday } from '../core/period-presets.js'
import { REPORT_FILE_KEEP_DAYS, REPORT_ROLES } from '../core/report-roles.js'
import { latestDueMinute, periodOf } from '../core/report-schedules.js'
import type { ScheduledReportProducer } from '../core/scheduled-report.js'
import { ZERO_COUNTS } from '../db/queries/job-runs.js'
import { claimScheduleDue, listReportSchedules, listScheduleCandidates, type ReportScheduleRow } from '../db/queries/report-schedules.js'
import { MailOffError } from './mail.js'
import { runJob, summariseRun, type RunnerDeps, type RunSummary } from './runner.js'
import type { ScheduledJob } from './scheduler.js'
import { REPORT_TITLES } from '../core/labels.js'

// Scheduled reports (decision 034): every minute, each schedule whose cron minute has come is
// claimed (once, across processes), produced through the /reports code path (passed in by the
// entry point: jobs/ does not import reports/), and its recipients are mailed a link to sign in
// and download it. Each production is a run of `report-schedule-<id>` on /jobs.

export const scheduleJobName = (id: number) => `report-schedule-${id}`

/** The scheduler's entry for scheduled reports: it looks each minute; each schedule's own cron says when it is due. */
export function scheduledReportsJob(produce: ScheduledReportProducer): ScheduledJob {
  return { name: 'scheduled-reports', expression: '* * * * *', recordsAs: [], run: (d) => runDueReportSchedules(d, produce) }
}

const TITLES: Record<ReportScheduleRow['kind'], string> = REPORT_TITLES

export async function runDueReportSchedules(
  deps: RunnerDeps,
  produce: ScheduledReportProducer,
  now: Date = new Date(),
): Promise<RunSummary[]> {
  const mail = deps.config.mail
  if (!mail) throw new MailOffError()
  const out: RunSummary[] = []
  for (const s of await listReportSchedules(deps.db)) {
    const due = latestDueMinute(s.cron, deps.config.schedules.timezone, s.lastDueAt ?? s.createdAt, now)
    if (!due || !(await claimScheduleDue(deps.db, s.id, s.lastDueAt, due))) continue
    const transport = createMailTransport(mail)
    try {
      const outcome = await runJob(
        deps,
        { jobName: scheduleJobName(s.id), sourceId: null, trigger: 'schedule', params: { scheduleId: s.id, due: due.toISOString() } },
        async (ctx) => {
          const r = await produceAndMail(deps, produce, s, now, transport)
          await ctx.commitBatch(async () => ({ ...ZERO_COUNTS, read: r.considered, inserted: r.sent, duplicates: r.alreadySent }))
          if (r.failed > 0) {
            const why = r.mails.find((m) => m.outcome.startsWith('failed: '))?.outcome.slice('failed: '.length)
            throw new Error(`${r.failed} of ${r.failed + r.sent} mail(s) for this report could not be sent${why ? ` (${why})` : ''}`)
          }
        },
      )
      // Another process is producing this schedule: hand the minute back so it is not lost.
      if (outcome.status === 'skipped') await claimScheduleDue(deps.db, s.id, due, s.lastDueAt ?? s.createdAt)
      out.push(summariseRun(outcome))
    } finally {
      transport.close()
    }
  }
  return out
}

async function produceAndMail(
  deps: RunnerDeps,
  produce: ScheduledReportProducer,
  s: ReportScheduleRow,
  now: Date,
  transport: MailTransport,
): Promise<MailRunResult> {
  const { from, to } = periodOf(s.periodRule, englandToday(now))
  const { reportId, practices } = await produce(deps.db, {
    scheduleId: s.id,
    kind: s.kind,
    practiceIds: s.practiceIds,
    from,
    to,
    overrideReviewDays: deps.config.overrideReviewDays,
    signingKey: requireSigningKey(deps.config),
  })
  // Recipients are checked again now: one disabled, moved off a practice, or given a role that
  // cannot download this report since the schedule was made is not mailed.
  const result: MailRunResult = { considered: 0, sent: 0, alreadySent: 0, failed: 0, mails: [] }
  const publicUrl = deps.config.publicUrl!
  for (const u of await listScheduleCandidates(deps.db, s.recipientIds)) {
    if (!REPORT_ROLES[s.kind].includes(u.role) || !s.practiceIds.every((id) => u.practiceIds.includes(id))) continue
    result.considered += 1
    const m = composeScheduledReport({
      displayName: u.displayName,
      reportTitle: TITLES[s.kind],
      practices,
      from,
      to,
      reportId,
      publicUrl,
      keepDays: REPORT_FILE_KEEP_DAYS,
    })
    await deliver({ db: deps.db, transport, log: deps.log }, result, { userId: u.id, kind: 'scheduled_report', key: reportId }, u.email, m)
  }
  return result
}
