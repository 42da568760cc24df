import { refreshFindings } from '../../core/findings/refresh.js'
import { importNdopFile } from '../../jobs/import-ndop.js'
import { importRegisterFile } from '../../jobs/import-register.js'
import type { RunnerDeps } from '../../jobs/runner.js'
import { withLedger } from '../context.js'
import type { Command } from 'commander'
import { ods } from '../options.js'

/** `ledger import ndop|register`: CSV files. */
export function register(program: Command): void {
  const importCmd = program.command('import').description('import CSV files')
  importCmd
    .command('ndop')
    .description('import an NHS England NDOP publication file (NDOP_reg_geog_<Mon_YYYY>.csv)')
    .argument('<file>')
    .option('--json', 'print JSON')
    .action((file, o) => withLedger(async (deps) => reportImport(deps, await importNdopFile(deps, file), o.json)))
  importCmd
    .command('register')
    .description("import a practice's manual disclosure register CSV (format in README)")
    .argument('<file>')
    .requiredOption('--practice <ODS>', 'practice ODS code', ods)
    .option('--json', 'print JSON')
    .action((file, o) => withLedger(async (deps) => reportImport(deps, await importRegisterFile(deps, file, o.practice), o.json)))
}

/** Prints how an import went and, when it loaded anything, brings the findings up to date. */
async function reportImport(deps: RunnerDeps, r: Awaited<ReturnType<typeof importNdopFile>>, json: boolean) {
  if (r.status === 'completed') await refreshFindings(deps)
  if (json) console.log(JSON.stringify(r))
  else if (r.status === 'completed') {
    const c = r.counts!
    console.log(
      `Imported (run ${r.runId}): read ${c.read}, inserted ${c.inserted}, updated ${c.updated}, duplicates ${c.duplicates}, quarantined ${c.quarantined}.`,
    )
  } else console.error(`Import ${r.status}${r.runId ? ` (run ${r.runId})` : ''}: ${r.error}`)
  if (r.status !== 'completed') process.exitCode = 1
}
