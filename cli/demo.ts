// `npm run demo`: a fresh clone to a dashboard with real data, no database server needed.
// Builds the app if needed, migrates the embedded database, starts the practice-system
// simulator, registers its practices as sources, imports the NDOP publication, collects,
// and serves the dashboard in this one process (the embedded database allows only one).
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { ensurePractice } from '../db/queries/practices.js'
import { addSource, listSources } from '../db/queries/sources.js'
import { collect } from '../jobs/collect.js'
import { importNdopFile } from '../jobs/import-ndop.js'
import { generateDataset, ndopCsv } from '../simulator/data.js'
import { startSimulator } from '../simulator/server.js'
import { startServer } from '../server.js'
import { UserError, readConfig } from './context.js'
import { openDatabase } from '../db/client.js'
import { migrateLatest } from '../db/migrate.js'
import {
  DEMO_PASSWORD,
  DEMO_USERS,
  demoDatasetOptions,
  seedDemoAgreements,
  seedDemoDspt,
  seedDemoNotices,
  seedDemoUsers,
} from './demo-seed.js'

const SIMULATOR_PORT = Number(process.env.DEMO_SIMULATOR_PORT ?? 3901)

async function main() {
  const config = readConfig()
  const DEMO_OPTIONS = demoDatasetOptions()
  if (!fs.existsSync('build/server/index.js') || process.env.DEMO_REBUILD === '1') {
    console.log('Building the dashboard...')
    execFileSync(path.join('node_modules', '.bin', 'remix'), ['build'], { stdio: 'inherit' })
  }
  const handle = await openDatabase(config.database)
  await migrateLatest(handle.db)
  const deps = { db: handle.db, target: handle.target, config, log: (l: string) => console.log(l) }

  const sim = await startSimulator({ port: SIMULATOR_PORT, ...DEMO_OPTIONS })
  console.log(`Practice-system simulator: ${sim.url} (${sim.practices.length} practices)`)
  for (const p of sim.practices) {
    const practice = await ensurePractice(handle.db, { odsCode: p.odsCode, name: p.name, icbCode: p.icbCode })
    const existing = await listSources(handle.db, { kind: 'fhir', practiceId: practice.id })
    if (!existing.some((s) => s.base_url === p.fhirBaseUrl)) {
      await addSource(handle.db, {
        practiceId: practice.id,
        kind: 'fhir',
        name: `${p.name} clinical system`,
        baseUrl: p.fhirBaseUrl,
        expectedIntervalMinutes: 60,
      })
    }
  }

  const dataset = generateDataset(DEMO_OPTIONS)
  const ndopFile = path.resolve(
    config.database.kind === 'embedded' ? path.dirname(config.database.dir) : 'data',
    'demo',
    'NDOP_reg_geog_Nov_2026.csv',
  )
  fs.mkdirSync(path.dirname(ndopFile), { recursive: true })
  fs.writeFileSync(ndopFile, ndopCsv(dataset, { achDate: '2026-11-01' }))
  const ndop = await importNdopFile(deps, ndopFile)
  console.log(`NDOP publication: ${ndop.status}, ${ndop.counts?.inserted ?? 0} new practice counts`)

  // Agreements first: the findings refreshed at the end of collection judge disclosures against them.
  console.log(`Data sharing agreements: ${await seedDemoAgreements(handle.db, dataset)} added`)
  console.log(`Privacy notices (seeds/notices/): ${await seedDemoNotices(handle.db, dataset)} recorded`)
  console.log(`DSPT statuses in the organisation register: ${await seedDemoDspt(handle.db, dataset)} added`)
  console.log('Collecting from every practice system...')
  for (const r of await collect(deps, { all: true })) {
    const c = r.counts
    console.log(
      `  ${r.practice} ${r.status}: read ${c?.read ?? 0}, inserted ${c?.inserted ?? 0}, duplicates ${c?.duplicates ?? 0}, quarantined ${c?.quarantined ?? 0}${r.error ? ` (${r.error})` : ''}`,
    )
  }

  await seedDemoUsers(
    handle.db,
    sim.practices.map((p) => p.odsCode),
  )

  const server = await startServer({ handle, config })
  console.log(`\nSharing Ledger demo is running at ${server.url}`)
  console.log(`Sign in with any of these (password: ${DEMO_PASSWORD}):`)
  for (const u of DEMO_USERS) console.log(`  ${u.email.padEnd(24)} ${u.role}`)
  const stop = async () => {
    await server.close()
    await sim.close()
    process.exit(0)
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

main().catch((err) => {
  console.error(err instanceof UserError ? err.message : (err as Error).stack)
  process.exit(1)
})
