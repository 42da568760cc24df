import { Option, type Command } from 'commander'
import { addUser } from '../../core/admin/index.js'
import { ROLES } from '../../core/inputs.js'
import { adminContextOf, withLedger } from '../context.js'
import { refusal } from '../options.js'

/** `ledger user add`: people who sign in to the dashboard. */
export function register(program: Command): void {
  const user = program.command('user').description('people who sign in to the dashboard')
  user
    .command('add')
    .description('add a user; the password is read from standard input')
    .requiredOption('--email <email>', 'e-mail address (the sign-in name)')
    .addOption(new Option('--role <role>', 'role').choices([...ROLES]).makeOptionMandatory())
    .option('--practice <ODS...>', 'practices this user may see (repeat or list several)')
    .option('--name <name>', 'display name')
    .action((o: { email: string; role: string; practice?: string[]; name?: string }) =>
      withLedger(async (deps) => {
        const password = (await readStdin()).replace(/\r?\n$/, '')
        const added = await addUser(adminContextOf(deps), {
          email: o.email,
          displayName: o.name,
          role: o.role,
          password,
          practices: o.practice ?? [],
        })
        // The password has no option to name: its sentence says what it is about.
        if (!added.ok) throw refusal(added.errors, { email: '--email', displayName: '--name', role: '--role', practices: '--practice' })
        const { user: row, practiceOds } = added.value
        console.log(
          `Added ${row.role} ${row.email} (user ${row.id})${practiceOds.length ? ` for ${practiceOds.join(', ')}` : ' for every practice'}.`,
        )
      }),
    )
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Password: ')
  let text = ''
  for await (const chunk of process.stdin) text += chunk
  return text
}
