import { Option, type Command } from 'commander'
import { addSource } from '../../core/admin/index.js'
import { adminContextOf, withLedger } from '../context.js'
import { printTable } from '../format.js'
import { refusal } from '../options.js'

/** `ledger source add|list`: the practice systems the collectors read. */
export function register(program: Command): void {
  const source = program.command('source').description('practice systems the collectors read')
  source
    .command('add')
    .description('register a practice system (FHIR R4 server)')
    .requiredOption('--practice <ODS>', 'practice ODS code (a practice not known yet is added)')
    .addOption(new Option('--kind <kind>', 'source kind').choices(['fhir']).default('fhir'))
    .requiredOption('--url <url>', 'FHIR base URL, e.g. https://practice.example/fhir')
    .option('--token <token>', 'bearer token')
    .option('--name <name>', 'a name people will recognise')
    .option('--expected-interval <minutes>', 'how often it should deliver, in minutes (for the "silent source" finding)', '1440')
    .action((o: { practice: string; url: string; token?: string; name?: string; expectedInterval: string }) =>
      withLedger(async (deps) => {
        const added = await addSource(adminContextOf(deps), {
          practiceOds: o.practice,
          name: o.name ?? `${o.practice.trim().toUpperCase()} practice system`,
          baseUrl: o.url,
          token: o.token ?? '',
          expectedInterval: o.expectedInterval,
        })
        if (!added.ok)
          throw refusal(added.errors, {
            practiceOds: '--practice',
            name: '--name',
            baseUrl: '--url',
            token: '--token',
            expectedInterval: '--expected-interval',
          })
        const { source: row, practiceOds } = added.value
        console.log(`Added source ${row.id} (${row.name}) for practice ${practiceOds}.`)
      }),
    )
  source
    .command('list')
    .description('list sources')
    .option('--json', 'print JSON')
    .action((o) =>
      withLedger(async ({ db }) => {
        const rows = await db('sources as s')
          .leftJoin('practices as p', 'p.id', 's.practice_id')
          .select('s.id', 's.kind', 's.name', 'p.ods_code as practice', 's.base_url', 's.enabled')
          .orderBy('s.id')
        if (o.json) console.log(JSON.stringify(rows))
        else printTable(rows)
      }),
    )
}
