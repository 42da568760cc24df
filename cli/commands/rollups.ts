import { rebuildRollups } from '../../db/rollups.js'
import { rebuildFindingRollups, verifyFindingRollups } from '../../db/finding-rollups.js'
import { UserError, withLedger } from '../context.js'
import { printTable } from '../format.js'
import type { Command } from 'commander'

/** `ledger rollups rebuild` and `ledger rollups verify`. */
export function register(program: Command): void {
  program
    .command('rollups')
    .description(
      'rebuild the dashboard roll-ups from the raw disclosures and findings (after a bulk load with triggers off, or to repair), ' +
        'or verify the findings roll-ups against a direct count',
    )
    .argument('<action>', 'rebuild | verify')
    .option('--json', 'print JSON')
    .action((action: string, o) =>
      withLedger(async (deps) => {
        const started = Date.now()
        if (action === 'verify') {
          const result = await verifyFindingRollups(deps.db)
          if (o.json) console.log(JSON.stringify({ ...result, ms: Date.now() - started }))
          else {
            if (result.mismatches.length > 0)
              printTable(result.mismatches.map((m) => ({ table: m.table, ...m.key, rollup: m.rollup, direct: m.direct })))
            console.log(
              result.mismatches.length === 0
                ? `The findings roll-ups equal a direct count (${result.groups} groups, ${Date.now() - started} ms).`
                : `${result.mismatches.length} groups differ from a direct count: run "ledger rollups rebuild".`,
            )
          }
          if (result.mismatches.length > 0) process.exitCode = 1
          return
        }
        if (action !== 'rebuild') throw new UserError(`Unknown rollups action "${action}": use "rebuild" or "verify".`, 2)
        const tables = [...(await rebuildRollups(deps.db)), ...(await rebuildFindingRollups(deps.db))]
        if (o.json) return console.log(JSON.stringify({ tables, ms: Date.now() - started }))
        printTable(tables)
        console.log(`Roll-ups rebuilt from the raw disclosures and findings in ${Date.now() - started} ms.`)
      }),
    )
}
