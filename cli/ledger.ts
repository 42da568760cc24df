import { Command, CommanderError } from 'commander'
import { register as agreements } from './commands/agreements.js'
import { register as collect } from './commands/collect.js'
import { register as exports } from './commands/exports.js'
import { register as findings } from './commands/findings.js'
import { register as imports } from './commands/imports.js'
import { register as integrity } from './commands/integrity.js'
import { register as jobs } from './commands/jobs.js'
import { register as keys } from './commands/keys.js'
import { register as mail } from './commands/mail.js'
import { register as migrate } from './commands/migrate.js'
import { register as notices } from './commands/notices.js'
import { register as reports } from './commands/reports.js'
import { register as rollups } from './commands/rollups.js'
import { register as simulate } from './commands/simulate.js'
import { register as sources } from './commands/sources.js'
import { register as users } from './commands/users.js'
import { UserError } from './context.js'

/**
 * The `ledger` command: the program and its dispatch. Each command lives in cli/commands/ and
 * only parses arguments and prints; the work is done by core/, jobs/ and reports/.
 * Exit codes: 0 done, 1 failed (or a check found a problem), 2 refused as given (nothing written).
 */
const program = new Command()
  .name('ledger')
  .description('Sharing Ledger: collect, import and inspect how GP practices share patient data.')
  .exitOverride()
  .showHelpAfterError()

// In the order `ledger --help` lists them.
for (const register of [
  migrate,
  sources,
  collect,
  imports,
  jobs,
  users,
  simulate,
  findings,
  rollups,
  agreements,
  notices,
  reports,
  exports,
  mail,
  keys,
  integrity,
])
  register(program)

try {
  await program.parseAsync(process.argv)
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : 2
  } else if (err instanceof UserError) {
    console.error(err.message)
    process.exitCode = err.exitCode
  } else {
    console.error(`Unexpected error: ${(err as Error).stack ?? err}`)
    process.exitCode = 1
  }
}
