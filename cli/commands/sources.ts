import { Option, type Command } from 'commander'
import { addSource } from '../../core/admin/index.js'
import os from 'node:os'
import path from 'node:path'
import { writeAccessLog } from '../../db/queries/access-log.js'
import { setBulkExport, setSmartClient } from '../../db/queries/sources.js'
import { FhirSourceError } from '../../jobs/fhir/http.js'
import { loadKey } from '../../jobs/fhir/smart.js'
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
    .command('smart')
    .description(
      "set a FHIR source's SMART Backend Services client: its $export backfills then authorise with a signed JWT (docs/decisions/041)",
    )
    .requiredOption('--source <id>', 'the source', int('--source'))
    .option('--client-id <id>', 'the client id the source registered for this ledger')
    .option('--key-file <path>', 'the private key (PEM or JWK; RSA for RS384, EC P-384 for ES384) on this host: only the path is stored')
    .option('--kid <kid>', "the key's id in the JWK set registered with the source")
    .option('--off', 'remove the SMART client (the static --token, if any, is used again)')
    .action((o: { source: number; clientId?: string; keyFile?: string; kid?: string; off?: boolean }) =>
      withLedger(async ({ db }) => {
        let client: { clientId: string; keyFile: string; keyId: string } | null = null
        if (o.off) {
          if (o.clientId || o.keyFile || o.kid) throw new UserError('--off: give either --off or --client-id, --key-file and --kid.', 2)
        } else {
          const missing = [!o.clientId?.trim() && '--client-id', !o.keyFile?.trim() && '--key-file', !o.kid?.trim() && '--kid'].filter(
            Boolean,
          )
          if (missing.length > 0) throw new UserError(`${missing[0]}: required (or --off to remove the SMART client).`, 2)
          if (o.clientId!.length > 500 || o.kid!.length > 500) throw new UserError('--client-id, --kid: at most 500 characters.', 2)
          const keyFile = path.resolve(o.keyFile!)
          try {
            await loadKey(o.source, keyFile)
          } catch (err) {
            if (err instanceof FhirSourceError) throw new UserError(`--key-file: ${err.message}.`, 2)
            throw err
          }
          client = { clientId: o.clientId!.trim(), keyFile, keyId: o.kid!.trim() }
        }
        if (!(await setSmartClient(db, o.source, client))) throw new UserError(`--source: there is no FHIR source ${o.source}.`, 2)
        await writeAccessLog(db, {
          userId: null,
          actor: `cli:${os.userInfo().username}`,
          action: 'admin_source_smart',
          target: `source:${o.source}`,
          detail: client ? { smart: 'on', clientId: client.clientId, keyFile: client.keyFile, kid: client.keyId } : { smart: 'off' },
        })
        console.log(
          client
            ? `Source ${o.source}: $export backfills authorise with SMART Backend Services as client ${client.clientId} (key ${client.keyId}).`
            : `Source ${o.source}: SMART Backend Services removed.`,
        )
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
          .select('s.id', 's.kind', 's.name', 'p.ods_code as practice', 's.base_url', 's.enabled', 's.bulk_export', 's.smart_client_id')
          .orderBy('s.id')
        if (o.json) console.log(JSON.stringify(rows))
        else printTable(rows)
      }),
    )
}
