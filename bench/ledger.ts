// Phase: the tamper-evident ledger (decision 024). The dataset's bulk load keeps the ledger's
// triggers on (bench/dataset.ts), so every disclosure is chained as in production; this phase
// times `integrity verify` over everything: every chain walked, every row re-encoded.
import { performance } from 'node:perf_hooks'
import type { Db } from '../db/client.js'
import { verifyIntegrity } from '../db/ledger/index.js'
import { log, ms, round } from './common.js'

export async function ledgerVerify(db: Db) {
  const t0 = performance.now()
  const r = await verifyIntegrity(db, { runBy: 'bench', record: false })
  const seconds = round(ms(t0) / 1000)
  const result = {
    intact: r.intact,
    problems: r.problems.length + r.moreProblems,
    chains: r.heads.length,
    entries: r.entries,
    rowsChecked: r.rowsChecked,
    seconds,
    entriesPerSec: Math.round(r.entries / Math.max(seconds, 0.001)),
  }
  log(
    `ledger: verified ${result.entries.toLocaleString('en-GB')} entries over ${result.chains} chains and ${result.rowsChecked.toLocaleString('en-GB')} rows in ${seconds} s = ${result.entriesPerSec.toLocaleString('en-GB')} entries/s; ${r.intact ? 'intact' : `NOT INTACT (${result.problems} problems)`}`,
  )
  return result
}
