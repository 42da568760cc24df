import type { Command } from 'commander'
import { MailOffError, runMailJob, type MailJob } from '../../jobs/mail.js'
import { UserError, withLedger } from '../context.js'
import { printTable } from '../format.js'

/** `ledger mail digest|alerts [--dry-run]`: the scheduler's mail jobs, by hand (decision 034). */
export function register(program: Command): void {
  const mail = program
    .command('mail')
    .description('mail: the daily digest and high-severity finding alerts (needs SMTP_URL, MAIL_FROM, PUBLIC_URL)')
  const action = (job: MailJob) => (o: { dryRun?: boolean; json?: boolean }) =>
    withLedger(async (deps) => {
      let outcome
      try {
        outcome = await runMailJob(deps, job, { dryRun: o.dryRun, trigger: 'manual' })
      } catch (err) {
        if (err instanceof MailOffError) throw new UserError(err.message)
        throw err
      }
      const { summary, result } = outcome
      if (o.json) console.log(JSON.stringify({ dryRun: Boolean(o.dryRun), run: summary, result }))
      else {
        if (result) printTable(result.mails.map((m) => ({ to: m.to, subject: m.subject, outcome: m.outcome })))
        if (summary?.status === 'skipped') console.log(`Not run: ${summary.error}`)
        else if (result) {
          const what = o.dryRun
            ? `${result.mails.filter((m) => m.outcome === 'would send').length} would be sent (dry run: nothing sent or recorded)`
            : `${result.sent} sent`
          console.log(
            `${what}, ${result.mails.filter((m) => m.outcome === 'already sent').length} already sent earlier${summary?.runId ? ` (run ${summary.runId})` : ''}.`,
          )
        }
      }
      if (summary?.status === 'failed') throw new UserError(`Mail run failed: ${summary.error}`)
    })
  mail
    .command('digest')
    .description("send today's digest to each user with notifications (once per user per day)")
    .option('--dry-run', 'list who would get which digest; send and record nothing')
    .option('--json', 'print JSON')
    .action(action('digest'))
  mail
    .command('alerts')
    .description('mail each new high-severity finding to the Caldicott guardians of its practice (once per finding)')
    .option('--dry-run', 'list who would be mailed; send and record nothing')
    .option('--json', 'print JSON')
    .action(action('alerts'))
}
