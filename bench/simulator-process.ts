// The simulated practice systems in a process of their own, as real ones would be: the
// benchmark's ingest phase runs the collector against it, so generating and serialising the
// FHIR pages is not charged to the collector's core. Options come as one JSON argument; the
// practices are printed as one JSON line once listening; SIGTERM prints the request count.
import type { BulkConfig } from '../simulator/bulk.js'
import { startSimulator, type SimulatorOptions } from '../simulator/server.js'

const options = JSON.parse(process.argv[2] ?? '{}') as SimulatorOptions & { bulk?: BulkConfig }
const sim = await startSimulator({ ...options, port: 0 })
if (options.bulk) sim.setBulk(options.bulk)
console.log(JSON.stringify({ url: sim.url, practices: sim.practices }))
process.once('SIGTERM', async () => {
  const requests = sim.requestCount()
  await sim.close()
  console.log(JSON.stringify({ requests }))
  process.exit(0)
})
