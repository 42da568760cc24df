import { rebuildRollups } from '../../db/rollups.js'
import { UserError, withLedger } from '../context.js'
import { printTable } from '../format.js'
import type { Command } from 'commander'

/** `ledger rollups rebuild`. */
export function register(program: Command): void {
  program
    .command('rollups')
    .description('rebuild the dashboard roll-ups from the raw disclosures (after a bulk load with triggers off, or to repair)')
    .argument('<action>', 'rebuild')
    .option('--json', 'print JSON')
    .action((action: string, o) =>
      withLedger(async (deps) => {
        if (action !== 'rebuild') throw new UserError(`Unknown rollups action "${action}": the only one is "rebuild".`, 2)
        const started = Date.now()
        const tables = await rebuildRollups(deps.db)
        if (o.json) return console.log(JSON.stringify({ tables, ms: Date.now() - started }))
        printTable(tables)
        console.log(`Roll-ups rebuilt from the raw disclosures in ${Date.now() - started} ms.`)
      }),
    )
}
