import { ZERO_COUNTS, type RunTrigger } from '../db/queries/job-runs.js'
import { sendDailyDigests, sendHighFindingAlerts, type MailRunResult } from '../core/mail/send.js'
import { createMailTransport } from '../core/mail/transport.js'
import { getRule } from '../core/findings/index.js'
import { runJob, summariseRun, type RunnerDeps, type RunSummary } from './runner.js'

// The mail jobs (decision 034): recorded in job_runs like any job (so they show on /jobs and a
// failure tells administrators), one process at a time (runJob's lock). A dry run records and
// sends nothing.

export type MailJob = 'digest' | 'alerts'

export const MAIL_JOB_NAMES: Record<MailJob, string> = { digest: 'mail-digest', alerts: 'mail-alerts' }

export class MailOffError extends Error {
  constructor() {
    super('Mail is off: set SMTP_URL, MAIL_FROM and PUBLIC_URL to send mail (or use --dry-run to see what would be sent).')
  }
}

const ruleTitle = (id: string) => getRule(id)?.title ?? id

export async function runMailJob(
  deps: RunnerDeps,
  job: MailJob,
  options: { dryRun?: boolean; trigger?: RunTrigger; now?: Date } = {},
): Promise<{ summary: RunSummary | null; result: MailRunResult | null }> {
  const operation = job === 'digest' ? sendDailyDigests : sendHighFindingAlerts
  const base = {
    db: deps.db,
    // A dry run without PUBLIC_URL still shows where the links would point.
    publicUrl: deps.config.publicUrl ?? `http://127.0.0.1:${deps.config.port}`,
    overrideReviewDays: deps.config.overrideReviewDays,
    timezone: deps.config.schedules.timezone,
    ruleTitle,
    now: options.now,
    log: deps.log,
  }
  if (options.dryRun) return { summary: null, result: await operation({ ...base, transport: null }) }
  if (!deps.config.mail) throw new MailOffError()
  const transport = createMailTransport(deps.config.mail)
  let result: MailRunResult | null = null
  try {
    const outcome = await runJob(
      deps,
      { jobName: MAIL_JOB_NAMES[job], sourceId: null, trigger: options.trigger ?? 'manual' },
      async (ctx) => {
        const r = await operation({ ...base, transport })
        result = r
        // read: users or alerts considered; inserted: mails sent; duplicates: sent by an earlier run.
        await ctx.commitBatch(async () => ({ ...ZERO_COUNTS, read: r.considered, inserted: r.sent, duplicates: r.alreadySent }))
        if (r.failed > 0)
          throw new Error(`the mail server refused ${r.failed} of ${r.failed + r.sent} mail(s); they are tried again at the next run`)
      },
    )
    return { summary: summariseRun(outcome), result }
  } finally {
    transport.close()
  }
}
