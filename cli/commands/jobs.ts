import { listRuns } from '../../db/queries/job-runs.js'
import { scheduledJobs } from '../../jobs/scheduler.js'
import { withLedger } from '../context.js'
import { printTable } from '../format.js'
import type { Command } from 'commander'
import { int } from '../options.js'

/** `ledger jobs list|runs`: scheduled jobs and their runs. */
export function register(program: Command): void {
  const jobs = program.command('jobs').description('scheduled jobs and their runs')
  jobs
    .command('list')
    .description('scheduled jobs, their cron expressions and next run')
    .option('--json', 'print JSON')
    .action((o) =>
      withLedger(async (deps) => {
        const rows = []
        for (const job of scheduledJobs(deps)) {
          const last = (await listRuns(deps.db, { jobNames: job.recordsAs, limit: 1 }))[0]
          rows.push({
            job: job.name,
            schedule: job.expression,
            timezone: deps.config.schedules.timezone,
            enabled: deps.config.schedules.enabled,
            last_run: last ? `${last.id} ${last.status} ${last.started_at.toISOString()}` : 'never',
          })
        }
        if (o.json) console.log(JSON.stringify(rows))
        else printTable(rows)
      }),
    )
  jobs
    .command('runs')
    .description('run history, newest first')
    .option('--source <id>', 'one source', int('--source'))
    .option('--limit <n>', 'how many', int('--limit'), 20)
    .option('--json', 'print JSON')
    .action((o) =>
      withLedger(async ({ db }) => {
        const runs = await listRuns(db, { sourceId: o.source, limit: o.limit })
        if (o.json) return console.log(JSON.stringify(runs))
        printTable(
          runs.map((r) => ({
            run: r.id,
            job: r.job_name,
            source: r.source_id ?? '',
            trigger: r.trigger,
            status: r.status,
            started: r.started_at.toISOString(),
            read: r.read_count,
            inserted: r.inserted_count,
            updated: r.updated_count,
            duplicates: r.duplicate_count,
            quarantined: r.quarantined_count,
            error: r.error ?? '',
          })),
        )
      }),
    )
}
