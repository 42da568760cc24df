// The performance benchmark (issue 7): `npm run bench -- [--events N] [--practices 150] [--json-out FILE]`.
// Builds a dedicated database (ledger_bench, dropped and recreated), loads N disclosures with
// generate_series inside PostgreSQL, then measures ingest (the real collector against the
// simulator, and the raw INSERT baseline), the dashboard's queries (roll-up vs the naive GROUP BY)
// and a load test of the running server. Prints a table and writes JSON.
//
// This file is the driver: options, the phases in order (bench/dataset.ts, ingest.ts,
// queries.ts, reports.ts, load.ts), and the figures printed and written.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { DB_NAME, log, round, type BenchOptions } from './common.js'
import { buildDataset, recreateDatabase, reuseDatabase } from './dataset.js'
import { findingReadsPhase, findingsPhase } from './findings.js'
import { benchConfig, ingest } from './ingest.js'
import { load } from './load.js'
import { dashboard } from './queries.js'
import { evidencePack } from './reports.js'
import { standards } from './standards.js'
import { ledgerVerify } from './ledger.js'

// ---- Options --------------------------------------------------------------------------------

function parseArgs(argv: string[]): BenchOptions {
  const opts: BenchOptions = {
    events: 1_000_000,
    practices: 150,
    jsonOut: 'bench-output/latest.json',
    runs: 20,
    loadSeconds: 15,
    concurrency: 50,
    sessionRate: 1,
    skip: new Set<string>(),
    reuse: false,
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    const next = () => {
      const v = argv[++i]
      if (v === undefined) throw new Error(`${a} needs a value`)
      return v
    }
    if (a === '--events') opts.events = Number(next())
    else if (a === '--practices') opts.practices = Number(next())
    else if (a === '--json-out') opts.jsonOut = next()
    else if (a === '--runs') opts.runs = Number(next())
    else if (a === '--load-seconds') opts.loadSeconds = Number(next())
    else if (a === '--concurrency') opts.concurrency = Number(next())
    else if (a === '--session-rate') opts.sessionRate = Number(next())
    else if (a === '--skip') for (const phase of next().split(',')) opts.skip.add(phase.trim())
    else if (a === '--reuse') opts.reuse = true
    else if (a === '--') continue
    else
      throw new Error(
        `Unknown option ${a}. Usage: npm run bench -- [--events N] [--practices 150] [--json-out FILE] [--runs 20] [--load-seconds 15] [--concurrency 50] [--session-rate 1] [--skip ingest,findings,reads,dashboard,naive,reports,standards,ledger,load] [--reuse]`,
      )
  }
  for (const [k, v] of Object.entries(opts))
    if (typeof v === 'number' && (!Number.isFinite(v) || v < 1)) throw new Error(`--${k} must be a positive number`)
  return opts
}

const opts = parseArgs(process.argv.slice(2))

// ---- Main -----------------------------------------------------------------------------------

async function main() {
  const started = new Date()
  log(`N = ${opts.events.toLocaleString('en-GB')} disclosures across ${opts.practices} practices; database ${DB_NAME}`)
  const reused = opts.reuse ? await reuseDatabase(opts) : null
  const handle = reused?.handle ?? (await recreateDatabase())
  const config = benchConfig()
  try {
    const bulk = reused?.bulk ?? (await buildDataset(handle.db, opts))
    log(reused ? `dataset of an earlier run reused (${bulk.seconds} s to clear its ingest)` : `dataset built in ${bulk.seconds} s`)
    const { rows: sizes } = await handle.db.raw(
      `SELECT pg_size_pretty(pg_total_relation_size('disclosures')) AS disclosures, pg_size_pretty(pg_total_relation_size('disclosure_daily')) AS rollup,
              (SELECT count(*) FROM disclosure_daily)::int AS rollup_rows`,
    )
    const skipped = (phase: string) => opts.skip.has(phase)
    const ingestResult = skipped('ingest') ? null : await ingest(handle, config, opts)
    if (ingestResult)
      log(
        `ingest: ${ingestResult.events} events in ${ingestResult.collectorSeconds} s = ${ingestResult.collectorEventsPerSec} events/s; raw ${ingestResult.rawInsertRowsPerSec} rows/s`,
      )
    // Issue 19: the findings phase runs at every scale, in two data shapes (bench/findings.ts).
    const findingsResult = skipped('findings') ? null : await findingsPhase(handle, config, bulk, opts)
    // The same reads over the findings already there, when the findings phase is skipped (--reuse).
    const findingReads = skipped('findings') && !skipped('reads') ? await findingReadsPhase(handle, bulk, opts) : null
    await handle.db.raw('ANALYZE')
    const dash = skipped('dashboard') ? null : await dashboard(handle.db, bulk, opts)
    const reports = skipped('reports') ? null : await evidencePack(handle.db, bulk, opts)
    if (reports) log(`reports: ${JSON.stringify(reports)}`)
    const standardsResult = skipped('standards') ? null : await standards(handle, config, opts)
    // Issue 16: integrity verify over every chain (the bulk load is chained as in production).
    const ledgerResult = skipped('ledger') ? null : await ledgerVerify(handle.db)
    const loadResult = skipped('load') ? null : await load(handle, bulk, opts)
    if (loadResult) {
      const { paced, saturated } = loadResult
      log(
        `load: paced ${paced.requestsPerSec} req/s, p99 ${paced.p99} ms, errors ${paced.errors}; saturated ${saturated.requestsPerSec} req/s, p99 ${saturated.p99} ms, errors ${saturated.errors}`,
      )
    }

    const output = {
      date: started.toISOString(),
      machine: {
        cores: os.cpus().length,
        cpu: os.cpus()[0]?.model ?? null,
        memoryGb: round(os.totalmem() / 2 ** 30, 1),
        node: process.version,
      },
      postgres: (await handle.db.raw('SHOW server_version')).rows[0].server_version,
      n: opts.events,
      practices: opts.practices,
      skipped: [...opts.skip],
      dataset: { ...bulk, practiceIds: undefined, sourceIds: undefined, recipientIds: undefined, sizes: sizes[0] },
      ingest: ingestResult,
      findings: findingsResult,
      findingReads,
      dashboard: dash,
      reports,
      standards: standardsResult,
      ledger: ledgerResult,
      load: loadResult,
    }
    printTable(output)
    fs.mkdirSync(path.dirname(path.resolve(opts.jsonOut)), { recursive: true })
    fs.writeFileSync(opts.jsonOut, JSON.stringify(output, null, 2) + '\n')
    log(`wrote ${opts.jsonOut}`)
  } finally {
    await handle.close()
  }
}

function printTable(o: {
  n: number
  machine: { cores: number }
  dataset: { seconds: number; sizes: Record<string, unknown> }
  ingest: Awaited<ReturnType<typeof ingest>> | null
  findings: Awaited<ReturnType<typeof findingsPhase>> | null
  findingReads: Awaited<ReturnType<typeof findingReadsPhase>> | null
  dashboard: Awaited<ReturnType<typeof dashboard>> | null
  reports: Awaited<ReturnType<typeof evidencePack>> | null
  standards: Awaited<ReturnType<typeof standards>> | null
  ledger: Awaited<ReturnType<typeof ledgerVerify>> | null
  load: Awaited<ReturnType<typeof load>> | null
}) {
  const lines: string[] = []
  lines.push(`Sharing Ledger benchmark: N = ${o.n.toLocaleString('en-GB')}, ${o.machine.cores} cores`)
  lines.push(`dataset load: ${o.dataset.seconds} s (${JSON.stringify(o.dataset.sizes)})`)
  const i = o.ingest
  if (i)
    lines.push(
      `ingest: ${i.events} events in ${i.collectorSeconds} s = ${i.collectorEventsPerSec} events/s (collector, end to end); raw INSERT..SELECT ${i.rawInsertRowsPerSec} rows/s; raw/collector = ${i.collectorToRawRatio}x`,
    )
  else lines.push('ingest: skipped')
  lines.push(...findingLines(o.findings))
  if (o.findingReads) lines.push(`findings already there: ${o.findingReads.open} open`, ...readLines('as found', o.findingReads.reads))
  lines.push('')
  if (o.dashboard) {
    lines.push(
      [
        'scope'.padEnd(22),
        'page'.padEnd(17),
        'query'.padEnd(40),
        'p50 ms'.padStart(9),
        'p95 ms'.padStart(9),
        'naive p50'.padStart(10),
        'x faster'.padStart(9),
      ].join(' '),
    )
    for (const r of o.dashboard.queries) {
      lines.push(
        [
          r.scope.padEnd(22),
          r.page.padEnd(17),
          r.query.padEnd(40),
          r.p50.toFixed(2).padStart(9),
          r.p95.toFixed(2).padStart(9),
          (r.naiveP50 === null ? '-' : r.naiveP50.toFixed(1)).padStart(10),
          (r.speedup === null ? '-' : String(r.speedup)).padStart(9),
        ].join(' '),
      )
    }
    lines.push('')
    lines.push('whole pages (queries in parallel, as the loaders run them):')
    for (const p of o.dashboard.pages)
      lines.push(
        `  ${p.scope.padEnd(22)} ${p.page.padEnd(17)} p50 ${p.p50.toFixed(1).padStart(8)} ms  p95 ${p.p95.toFixed(1).padStart(8)} ms`,
      )
  } else lines.push('dashboard: skipped')
  lines.push('')
  const r = o.reports
  lines.push(
    !r
      ? 'reports: skipped'
      : r.skipped
        ? `reports: skipped (${'reason' in r ? r.reason : ''})`
        : `reports: audit evidence pack, ${'disclosureRows' in r ? `${r.disclosureRows} disclosure rows, ${r.pages} pages in ${r.seconds} s, peak RSS ${r.peakRssMb} MB (process baseline ${r.baselineRssMb} MB)` : ''}` +
          ('larger' in r && r.larger && 'disclosureRows' in r.larger
            ? `; larger pack ${r.larger.disclosureRows} rows, ${r.larger.pages} pages in ${r.larger.seconds} s, peak RSS ${r.larger.peakRssMb} MB`
            : ''),
  )
  const st = o.standards
  if (st) {
    lines.push(
      `standards: BALP export ${st.balp.rows} disclosures in ${st.balp.seconds} s = ${st.balp.rowsPerSec} rows/s (${st.balp.megabytes} MB, peak RSS ${st.balp.peakRssMb} MB)`,
    )
    lines.push(
      `  backfill of ${st.bulk.paged.events} events: page by page ${st.bulk.paged.eventsPerSec} events/s; through $export ${st.bulk.bulk.eventsPerSec} events/s`,
    )
  } else lines.push('standards: skipped')
  const lg = o.ledger
  lines.push(
    lg
      ? `ledger: integrity verify of ${lg.entries} entries over ${lg.chains} chains (${lg.rowsChecked} rows) in ${lg.seconds} s = ${lg.entriesPerSec} entries/s; ${lg.intact ? 'intact' : `NOT INTACT (${lg.problems} problems)`}`
      : 'ledger: skipped',
  )
  const l = o.load
  const figures = (m: { seconds: number; requestsPerSec: number; p50: number; p90: number; p99: number; errors: number }) =>
    `${m.seconds} s, ${m.requestsPerSec} req/s, p50 ${m.p50} ms, p90 ${m.p90} ms, p99 ${m.p99} ms, errors ${m.errors}`
  if (l) {
    lines.push(
      `load: ${l.webWorkers} web processes taking ${l.requestConcurrency} requests at a time each, ${l.concurrency} signed-in sessions on ${l.paths.join(' and ')} (${l.generator})`,
    )
    lines.push(`  paced, each session a page every ${1 / l.paced.pagesPerSecondPerSession} s on average: ${figures(l.paced)}`)
    lines.push(`  saturation, no pause between pages: ${figures(l.saturated)}`)
  } else lines.push('load: skipped')
  console.log(lines.join('\n'))
}

type FindingReads = Awaited<ReturnType<typeof findingReadsPhase>>['reads']

function readLines(shape: string, rs: FindingReads): string[] {
  const t = (x: { p50: number; p95: number } | null) => (x ? `${x.p50}/${x.p95}` : '-')
  return rs.map(
    (r) =>
      `  ${shape}, ${r.scope}: ${r.cases} open cases (biggest ${r.biggestCase}); p50/p95 ms: overview count ${t(r.overviewCount)}, ` +
      `notifications ${t(r.notificationsCount)} (every override reviewed ${t(r.notificationsCountEveryOverrideReviewed)}), cases page ${t(r.casesPage)}, page 10 ${t(r.casesPage10)}, drill-down ${t(r.drillDown)}`,
  )
}

function findingLines(f: Awaited<ReturnType<typeof findingsPhase>> | null): string[] {
  if (!f) return ['findings: skipped']
  const one = f.oneAgreement
  return [
    `findings, realistic coverage (${f.realistic.agreements} agreements, ${f.realistic.uncoveredShare * 100}% of disclosures uncovered): ` +
      `full re-evaluation ${f.realistic.seconds} s; ${f.realistic.open} open`,
    ...readLines('realistic', f.realistic.reads),
    `findings, no agreements (${f.noAgreements.agreementsEnded} ended): full re-evaluation of every rule in ${f.noAgreements.seconds} s; ${f.noAgreements.open} open findings`,
    ...readLines('no agreements', f.noAgreements.reads),
    one
      ? `  one agreement for the biggest case (${one.caseFindingsAcrossPractices} findings): registered and refreshed in ${one.seconds} s ` +
        `(no_agreement rule ${one.noAgreementRuleMs} ms, ${one.disclosuresChecked} disclosures checked), ${one.resolved} resolved, roll-ups exact: ${one.rollupsExact}`
      : '  one agreement: no no-agreement case',
  ]
}

main().catch((err) => {
  console.error(err)
  process.exitCode = 1
})
