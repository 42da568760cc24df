import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { requireSigningKey } from '../config/env.js'
import { deliver, type MailRunResult } from '../core/mail/send.js'
import { composeScheduledReport } from '../core/mail/messages.js'
import { createMailTransport } from '../core/mail/transport.js'
import { englandToday } from '../core/period-presets.js'
import { REPORT_FILE_KEEP_DAYS, REPORT_ROLES } from '../core/report-roles.js'
import { latestDueMinute, periodOf } from '../core/report-schedules.js'
import { writeAccessLog } from '../db/queries/access-log.js'
import { ZERO_COUNTS } from '../db/queries/job-runs.js'
import { deleteReportFilesBefore, storeReportFile } from '../db/queries/report-files.js'
import { claimScheduleDue, listReportSchedules, listScheduleCandidates, type ReportScheduleRow } from '../db/queries/report-schedules.js'
import { produceReport, recordReport } from '../reports/index.js'
import { MailOffError } from './mail.js'
import { runJob, summariseRun, type RunnerDeps, type RunSummary } from './runner.js'

// Scheduled reports (decision 034): every minute, each schedule whose cron minute has come is
// claimed (once, across processes), produced through the same code path as /reports, recorded
// and kept like a downloaded report, and its recipients are mailed a link to sign in and
// download it. Each production is a run of `report-schedule-<id>` on /jobs.

export const scheduleJobName = (id: number) => `report-schedule-${id}`

const TITLES: Record<ReportScheduleRow['kind'], string> = { audit: 'Audit evidence pack', commissioner: 'Commissioner report' }

export async function runDueReportSchedules(deps: RunnerDeps, now: Date = new Date()): Promise<RunSummary[]> {
  const mail = deps.config.mail
  if (!mail) throw new MailOffError()
  const out: RunSummary[] = []
  for (const s of await listReportSchedules(deps.db)) {
    const due = latestDueMinute(s.cron, deps.config.schedules.timezone, s.lastDueAt ?? s.createdAt, now)
    if (!due || !(await claimScheduleDue(deps.db, s.id, s.lastDueAt, due))) continue
    const transport = createMailTransport(mail)
    try {
      const outcome = await runJob(deps, { jobName: scheduleJobName(s.id), sourceId: null, trigger: 'schedule', params: { scheduleId: s.id, due: due.toISOString() } }, async (ctx) => {
        const r = await produceAndMail(deps, s, now, transport)
        await ctx.commitBatch(async () => ({ ...ZERO_COUNTS, read: r.considered, inserted: r.sent, duplicates: r.alreadySent }))
        if (r.failed > 0) throw new Error(`the mail server refused ${r.failed} of ${r.failed + r.sent} mail(s) for this report`)
      })
      // Another process is producing this schedule: hand the minute back so it is not lost.
      if (outcome.status === 'skipped') await claimScheduleDue(deps.db, s.id, due, s.lastDueAt ?? s.createdAt)
      out.push(summariseRun(outcome))
    } finally {
      transport.close()
    }
  }
  return out
}

async function produceAndMail(deps: RunnerDeps, s: ReportScheduleRow, now: Date, transport: ReturnType<typeof createMailTransport>): Promise<MailRunResult> {
  const { from, to } = periodOf(s.periodRule, englandToday(now))
  const generatedBy = `schedule:${s.id}`
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-scheduled-'))
  const file = path.join(dir, 'report.pdf')
  try {
    const produced = await produceReport(
      deps.db,
      { kind: s.kind, practiceIds: s.practiceIds, from, to, generatedBy, generatedByUserId: null, overrideReviewDays: deps.config.overrideReviewDays, signingKey: requireSigningKey(deps.config) },
      file,
    )
    await deps.db.transaction(async (trx) => {
      await recordReport(trx, produced)
      await storeReportFile(trx, produced.id, file)
    })
    const practices = produced.scope.practices.map((p) => `${p.name} (${p.odsCode})`)
    await writeAccessLog(deps.db, {
      userId: null,
      actor: generatedBy,
      action: 'report_export',
      practiceIds: s.practiceIds,
      target: `report:${produced.id}`,
      detail: { kind: s.kind, scheduleId: s.id, practices: produced.scope.practices.map((p) => p.odsCode), from, to, sha256: produced.sha256 },
    })
    await deleteReportFilesBefore(deps.db, new Date(Date.now() - REPORT_FILE_KEEP_DAYS * 86_400_000))
    // Recipients are checked again now: one disabled, or moved off a practice, or given a role
    // that cannot download this report since the schedule was made is not mailed.
    const result: MailRunResult = { considered: 0, sent: 0, alreadySent: 0, failed: 0, mails: [] }
    const publicUrl = deps.config.publicUrl!
    for (const u of await listScheduleCandidates(deps.db, s.recipientIds)) {
      if (!REPORT_ROLES[s.kind].includes(u.role) || !s.practiceIds.every((id) => u.practiceIds.includes(id))) continue
      result.considered += 1
      const m = composeScheduledReport({ displayName: u.displayName, reportTitle: TITLES[s.kind], practices, from, to, reportId: produced.id, publicUrl, keepDays: REPORT_FILE_KEEP_DAYS })
      await deliver({ db: deps.db, transport, log: deps.log }, result, { userId: u.id, kind: 'scheduled_report', key: produced.id }, u.email, m)
    }
    return result
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
