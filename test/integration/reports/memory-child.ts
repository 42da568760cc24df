// Run as its own process by memory.test.ts: generates an audit pack and prints the peak
// resident set and heap seen while doing so, as one JSON line.
import { openDatabase } from '../../../db/client.js'
import { generateReport } from '../../../reports/index.js'

const [url, ids, from, to, out] = process.argv.slice(2) as [string, string, string, string, string]
let peakRss = 0
let peakHeap = 0
const sample = () => {
  const m = process.memoryUsage()
  peakRss = Math.max(peakRss, m.rss)
  peakHeap = Math.max(peakHeap, m.heapUsed)
}
const timer = setInterval(sample, 25)
const started = Date.now()
const handle = await openDatabase({ kind: 'postgres', url })
try {
  const r = await generateReport(
    handle.db,
    { kind: 'audit', practiceIds: ids.split(',').map(Number), from, to, generatedBy: 'test:memory' },
    out,
  )
  sample()
  console.log(
    JSON.stringify({
      peakRss,
      peakHeap,
      pages: r.pages,
      rows: r.rowCounts.disclosure_log,
      findings: r.rowCounts.findings,
      ms: Date.now() - started,
    }),
  )
} finally {
  clearInterval(timer)
  await handle.close()
}
