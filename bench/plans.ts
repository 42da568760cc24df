// Decision 045: before a read is marked planOnce(), compare its generic plan with planning it
// anew, on the benchmark's database (`npx tsx bench/plans.ts`, after `npm run bench` left one):
// every dashboard read, for one practice and for all, over the benchmark year, each forced onto
// each plan. A read whose generic plan is much slower must not be marked.
import { openDatabase } from '../db/client.js'
import { YEAR, benchUrl, log, time } from './common.js'
import { QUERIES } from './queries.js'

const RUNS = 5

const handle = await openDatabase({ kind: 'postgres', url: benchUrl, preparedReads: 'every read' }, { poolMax: 1 })
try {
  const ids = (await handle.db('practices').select('id').orderBy('id')).map((r: { id: number }) => r.id)
  const rows = []
  for (const practiceIds of [ids.slice(0, 1), ids]) {
    const scope = { practiceIds, ...YEAR }
    for (const q of QUERIES) {
      if (q.page.includes('cold')) continue
      // Every read prepared, on one connection, each plan mode in turn.
      await handle.db.raw('SET plan_cache_mode = force_custom_plan')
      const custom = await time(() => q.run(handle.db, scope), RUNS)
      await handle.db.raw('SET plan_cache_mode = force_generic_plan')
      const generic = await time(() => q.run(handle.db, scope), RUNS)
      const row = { practices: practiceIds.length, page: q.page, query: q.query, customP50: custom.p50, genericP50: generic.p50 }
      log(`plans: ${JSON.stringify(row)}`)
      rows.push(row)
    }
  }
  console.log(JSON.stringify(rows, null, 2))
} finally {
  await handle.close()
}
