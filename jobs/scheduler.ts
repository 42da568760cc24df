import cron, { type ScheduledTask } from 'node-cron'
import { requireSigningKey } from '../config/env.js'
import os from 'node:os'
import { scheduledIntegrityCheck } from '../db/ledger/index.js'
import { claimScheduledRun } from '../db/queries/scheduled-claims.js'
import { timestamper } from '../core/timestamp.js'
import { collect } from './collect.js'
import { importInbox } from './import-inbox.js'
import { MAIL_JOB_NAMES, runMailJob } from './mail.js'
import { reapAbandonedRuns, type RunnerDeps } from './runner.js'

/** A scheduled job: when (cron, from configuration) and what. Whether it may run is runJob's call. */
export interface ScheduledJob {
  name: string
  expression: string
  /** The job_runs.job_name values its runs are recorded under. */
  recordsAs: string[]
  /**
   * Run by one process only for each scheduled time, however many run the scheduler: the first to
   * claim the due minute (scheduled_claims) runs it. For jobs whose runs are not idempotent.
   */
  oncePerDue?: boolean
  run(deps: RunnerDeps): Promise<unknown>
}

/** `extraMailJobs`: jobs that mail (scheduled reports), scheduled with the others when mail is on. */
export function scheduledJobs(deps: RunnerDeps, extraMailJobs: ScheduledJob[] = []): ScheduledJob[] {
  return [
    {
      name: 'collect',
      expression: deps.config.schedules.collect,
      recordsAs: ['collect'],
      run: (d) => collect(d, { all: true }, { trigger: 'schedule' }),
    },
    {
      name: 'import-inbox',
      expression: deps.config.schedules.import,
      recordsAs: ['import-ndop', 'import-register'],
      run: (d) => importInbox(d, d.config.inboxDir),
    },
    {
      // Verify every chain (against the newest checkpoint), then sign a new checkpoint, time-stamped
      // when a TSA is configured. Its outcome is recorded in ledger_verifications and
      // ledger_checkpoints, not job_runs; one checkpoint a night however many schedulers run.
      name: 'ledger-integrity',
      expression: deps.config.schedules.ledger,
      recordsAs: [],
      oncePerDue: true,
      run: (d) => scheduledIntegrityCheck(d.db, requireSigningKey(d.config), d.log, timestamper(d.config.tsaUrl)),
    },
    // Mail only when SMTP_URL is set (decision 034).
    ...(deps.config.mail
      ? [
          {
            name: MAIL_JOB_NAMES.digest,
            expression: deps.config.schedules.mailDigest,
            recordsAs: [MAIL_JOB_NAMES.digest],
            run: (d: RunnerDeps) => runMailJob(d, 'digest', { trigger: 'schedule' }),
          },
          {
            name: MAIL_JOB_NAMES.alerts,
            expression: deps.config.schedules.mailAlerts,
            recordsAs: [MAIL_JOB_NAMES.alerts],
            run: (d: RunnerDeps) => runMailJob(d, 'alerts', { trigger: 'schedule' }),
          },
          // Scheduled reports, given by the entry point (jobs/ does not import reports/).
          ...extraMailJobs,
        ]
      : []),
  ]
}

/**
 * One firing of a scheduled job at `firedAt`. A job run once per due time first claims the minute it
 * was due (clocks synchronised to the minute, as NTP keeps them); a process that loses the claim
 * skips it. Returns false when skipped.
 */
export async function runScheduled(deps: RunnerDeps, job: ScheduledJob, firedAt: Date): Promise<boolean> {
  if (job.oncePerDue) {
    const due = new Date(Math.floor(firedAt.getTime() / 60_000) * 60_000)
    if (!(await claimScheduledRun(deps.db, job.name, due, `${os.hostname()}:${process.pid}`))) return false
  }
  await job.run(deps)
  return true
}

/**
 * Starts the cron schedules. node-cron decides *when*; PostgreSQL decides *whether* (the
 * per-source lock in runJob), so any number of processes can run this scheduler and each source
 * is still collected by one of them at a time. noOverlap stops a slow run from stacking up
 * behind itself in this process.
 */
export function startScheduler(deps: RunnerDeps, extraMailJobs: ScheduledJob[] = []): { stop(): Promise<void> } {
  const log = deps.log ?? ((line: string) => console.log(line))
  const inFlight = new Set<Promise<unknown>>()
  const reap = () =>
    reapAbandonedRuns(deps)
      .then((n) => n > 0 && log(`marked ${n} run(s) failed: their runner process had ended`))
      .catch((err) => log(`could not check for abandoned runs: ${(err as Error).message}`))
  const first = reap()
  inFlight.add(first)
  void first.finally(() => inFlight.delete(first))
  const tasks: ScheduledTask[] = scheduledJobs(deps, extraMailJobs).map((job) =>
    cron.schedule(
      job.expression,
      async () => {
        if (deps.signal?.aborted) return
        await reap()
        const p = runScheduled(deps, job, new Date()).catch((err) => log(`scheduled job ${job.name} failed: ${(err as Error).message}`))
        inFlight.add(p)
        try {
          await p
        } finally {
          inFlight.delete(p)
        }
      },
      { name: job.name, timezone: deps.config.schedules.timezone, noOverlap: true },
    ),
  )
  return {
    async stop() {
      for (const task of tasks) await task.destroy()
      await Promise.allSettled([...inFlight])
    },
  }
}
