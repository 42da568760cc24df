// A runner process for the race test: claims job "race:<source>" and holds it for HOLD_MS.
import { loadConfig } from '../../../config/env.js'
import { openDatabase } from '../../../db/client.js'
import { runJob } from '../../../jobs/runner.js'

const config = loadConfig()
const handle = await openDatabase(config.database)
const outcome = await runJob(
  { db: handle.db, target: handle.target, config },
  { jobName: 'race', sourceId: null, trigger: 'manual' },
  async () => {
    await new Promise((r) => setTimeout(r, Number(process.env.HOLD_MS ?? 1500)))
  },
)
console.log(JSON.stringify({ status: outcome.status }))
await handle.close()
