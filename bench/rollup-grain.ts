// Measures what grain of roll-up the dashboard needs, on the database `npm run bench` left behind
// (ledger_bench): rows in each candidate roll-up and the p50 of "disclosures by purpose, 150
// practices over a year" read from it. Run after the benchmark: `npx tsx bench/rollup-grain.ts`.
// Creates scratch tables named bench_grain_* in ledger_bench and drops them again.
import { performance } from 'node:perf_hooks'
import { openDatabase } from '../db/client.js'

const url = (process.env.BENCH_DATABASE_SERVER ?? 'postgres://postgres@127.0.0.1:5432/postgres').replace(/\/[^/]*$/, '/ledger_bench')
const FROM = '2025-11-02'
const TO = '2026-11-01'

const GRAINS: Array<{ name: string; key: string; day: string }> = [
  {
    name: 'daily: practice, day, purpose, recipient, legal basis, data level (current)',
    key: 'practice_id, day, purpose, recipient_id, legal_basis, data_level',
    day: 'day',
  },
  { name: 'daily: practice, day, purpose, recipient', key: 'practice_id, day, purpose, recipient_id', day: 'day' },
  {
    name: 'monthly: practice, month, purpose, recipient, legal basis, data level',
    key: "practice_id, date_trunc('month', day)::date, purpose, recipient_id, legal_basis, data_level",
    day: "date_trunc('month', day)::date",
  },
  {
    name: 'monthly: practice, month, purpose',
    key: "practice_id, date_trunc('month', day)::date, purpose",
    day: "date_trunc('month', day)::date",
  },
]

async function main() {
  const { db, close } = await openDatabase({ kind: 'postgres', url }, { poolMax: 2 })
  try {
    const { rows: ids } = await db.raw(`SELECT array_agg(id ORDER BY id) AS ids FROM practices WHERE ods_code LIKE 'Y9%'`)
    const practiceIds: number[] = ids[0].ids
    const { rows: n } = await db.raw('SELECT count(*)::int AS n FROM disclosures')
    console.log(`disclosures: ${n[0].n}`)
    for (const [i, g] of GRAINS.entries()) {
      const table = `bench_grain_${i}`
      await db.raw(`DROP TABLE IF EXISTS ${table}`)
      const cols = g.key.split(/,(?![^(]*\))/).map((c) => c.trim())
      const names = cols.map((c, k) => (c.includes('(') ? `d${k}` : c))
      await db.raw(
        `CREATE TABLE ${table} AS SELECT ${cols.map((c, k) => `${c} AS ${names[k]}`).join(', ')}, sum(disclosures)::int AS disclosures FROM disclosure_daily GROUP BY ${cols.map((_, k) => k + 1).join(', ')}`,
      )
      const dayCol = g.day === 'day' ? 'day' : names[1]
      await db.raw(`CREATE INDEX ON ${table} (practice_id, ${dayCol})`)
      await db.raw(`ANALYZE ${table}`)
      const { rows: c } = await db.raw(`SELECT count(*)::int AS n FROM ${table}`)
      const q = () =>
        db.raw(
          `SELECT purpose, sum(disclosures) FROM ${table} WHERE practice_id = ANY(?) AND ${dayCol} BETWEEN ?::date AND ?::date GROUP BY 1`,
          [practiceIds, FROM, TO],
        )
      await q()
      const samples: number[] = []
      for (let r = 0; r < 15; r++) {
        const t0 = performance.now()
        await q()
        samples.push(performance.now() - t0)
      }
      samples.sort((a, b) => a - b)
      console.log(
        `${g.name}: ${c[0].n} rows (${((100 * c[0].n) / n[0].n).toFixed(1)}% of disclosures), by purpose 150 practices x 1 year p50 ${samples[7]!.toFixed(1)} ms`,
      )
      await db.raw(`DROP TABLE ${table}`)
    }
  } finally {
    await close()
  }
}

main().catch((err) => {
  console.error(err)
  process.exitCode = 1
})
