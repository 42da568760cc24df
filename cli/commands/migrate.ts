import { withLedger } from '../context.js'
import type { Command } from 'commander'

/** `ledger migrate`: create or update the reporting schema. */
export function register(program: Command): void {
  program
    .command('migrate')
    .description('create or update the reporting schema')
    .action(() =>
      withLedger(async ({ target }) => {
        console.log(`Reporting schema is up to date (${target.kind === 'embedded' ? `embedded database in ${target.dir}` : 'PostgreSQL'}).`)
      }),
    )
}
