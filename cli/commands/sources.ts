import { Option, type Command } from 'commander'
import { addSource } from '../../core/admin/index.js'
import os from 'node:os'
import { writeAccessLog } from '../../db/queries/access-log.js'
import { setBulkExport } from '../../db/queries/sources.js'
import { adminContextOf, UserError, withLedger } from '../context.js'
import { printTable } from '../format.js'
import { int, refusal } from '../options.js'

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
    .option('--bulk-export', 'the server offers FHIR Bulk Data $export: backfills (collect --from --to) read through it')
    .action((o: { practice: string; url: string; token?: string; name?: string; expectedInterval: string; bulkExport?: boolean }) =>
      withLedger(async (deps) => {
        const added = await addSource(adminContextOf(deps), {
          practiceOds: o.practice,
          name: o.name ?? `${o.practice.trim().toUpperCase()} practice system`,
          baseUrl: o.url,
          token: o.token ?? '',
          expectedInterval: o.expectedInterval,
          bulkExport: o.bulkExport ?? false,
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
        console.log(
          `Added source ${row.id} (${row.name}) for practice ${practiceOds}${row.bulk_export ? ', read through $export for backfills' : ''}.`,
        )
      }),
    )
  source
    .command('bulk-export')
    .description('say whether a FHIR source offers Bulk Data $export (a backfill then reads through it)')
    .requiredOption('--source <id>', 'the source', int('--source'))
    .addOption(new Option('--set <on|off>', 'on or off').choices(['on', 'off']).makeOptionMandatory())
    .action((o: { source: number; set: 'on' | 'off' }) =>
      withLedger(async ({ db }) => {
        if (!(await setBulkExport(db, o.source, o.set === 'on'))) throw new UserError(`--source: there is no FHIR source ${o.source}.`, 2)
        await writeAccessLog(db, {
          userId: null,
          actor: `cli:${os.userInfo().username}`,
          action: 'admin_source_bulk_export',
          target: `source:${o.source}`,
          detail: { bulkExport: o.set === 'on' },
        })
        console.log(`Source ${o.source}: backfills ${o.set === 'on' ? 'read through $export' : 'read page by page'}.`)
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
          .select('s.id', 's.kind', 's.name', 'p.ods_code as practice', 's.base_url', 's.enabled', 's.bulk_export')
          .orderBy('s.id')
        if (o.json) console.log(JSON.stringify(rows))
        else printTable(rows)
      }),
    )
}
