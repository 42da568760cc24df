import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedDemoAgreements, seedDemoDspt, seedDemoNotices } from '../../../cli/demo-seed.js'
import { ensurePractice } from '../../../db/queries/practices.js'
import { addSource } from '../../../db/queries/sources.js'
import { collect } from '../../../jobs/collect.js'
import { refreshFindings } from '../../../core/findings/refresh.js'
import { importNdopFile } from '../../../jobs/import-ndop.js'
import { generateDataset, ndopCsv, type Dataset } from '../../../simulator/data.js'
import { startSimulator, type RunningSimulator } from '../../../simulator/server.js'
import type { RunnerDeps } from '../../../jobs/runner.js'
import { testConfig } from '../../support/config.js'
import { useTestDatabase } from '../../support/db.js'

// The demo's data end to end: the simulator's practice systems collected, its NDOP publication
// imported and its agreements recorded; the findings must be exactly the violations it planted,
// and none of its near misses. (Its events end on 2026-11-01, so by "now" every override is past
// its 7 days: the planted list names each one as unreviewed.)

const t = useTestDatabase()
const OPTIONS = { practices: 3, seed: 1 }
let sim: RunningSimulator
let dataset: Dataset
let deps: RunnerDeps
let tmp: string

beforeAll(async () => {
  sim = await startSimulator({ port: 0, ...OPTIONS })
  dataset = generateDataset(OPTIONS)
  deps = { db: t.db, target: { kind: 'postgres', url: t.url }, config: testConfig(t.url) }
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-findings-'))
})
afterAll(async () => {
  await sim?.close()
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true })
})

/** "<rule> <practice> <AuditEvent id>" for the open findings, by the source record they are about. */
async function openFindingKeys(): Promise<string[]> {
  const { rows } = await t.db.raw(`
    SELECT f.rule_id || ' ' || p.ods_code || coalesce(' ' || coalesce(d.source_record_id, regexp_replace(o.source_record_id, '#override$', '')), '') AS key
      FROM findings f
      JOIN practices p ON p.id = f.practice_id
      LEFT JOIN disclosures d ON f.subject_key LIKE 'disclosure:%' AND d.id = split_part(f.subject_key, ':', 2)::bigint
      LEFT JOIN override_events o ON f.subject_key LIKE 'override:%' AND o.id = split_part(f.subject_key, ':', 2)::bigint
     WHERE f.status = 'open'`)
  return (rows as Array<{ key: string }>).map((r) => r.key).sort()
}

const plantedKeys = (list: Dataset['planted']) =>
  [...new Set(list.map((p) => [p.rule, p.practice, p.resourceId].filter(Boolean).join(' ')))].sort()

describe('findings for the simulated practices', () => {
  it('are exactly the planted violations once collect returns, each explained without an NHS number', async () => {
    for (const p of sim.practices) {
      const practice = await ensurePractice(t.db, { odsCode: p.odsCode, name: p.name })
      await addSource(t.db, { practiceId: practice.id, kind: 'fhir', name: `${p.name} clinical system`, baseUrl: p.fhirBaseUrl })
    }
    expect(await seedDemoAgreements(t.db, dataset)).toBeGreaterThan(10)
    // Each practice's notice (seeds/notices/) and the recipients' DSPT statuses: the promise rules judge against them.
    expect(await seedDemoNotices(t.db, dataset)).toBe(3)
    expect(await seedDemoDspt(t.db, dataset)).toBeGreaterThan(10)
    const file = path.join(tmp, 'NDOP_reg_geog_Nov_2026.csv')
    fs.writeFileSync(file, ndopCsv(dataset, { achDate: '2026-11-01' }))
    expect((await importNdopFile(deps, file)).status).toBe('completed')

    const results = await collect(deps, { all: true })
    expect(results.map((r) => r.status)).toEqual(['completed', 'completed', 'completed'])

    const expected = plantedKeys(dataset.planted)
    expect(expected.length).toBeGreaterThan(30)
    expect(await openFindingKeys()).toEqual(expected)
    // Nothing else was ever opened (and resolved again) on the way.
    expect(await t.db('findings').whereNot({ status: 'open' }).count('* as n').first()).toEqual({ n: 0 })
    const found = new Set(await openFindingKeys())
    for (const near of dataset.nearMisses)
      expect(found.has(`${near.rule} ${near.practice} ${near.resourceId}`), near.description).toBe(false)

    const findings = await t.db('findings').select('rule_id', 'severity', 'summary', 'evidence')
    const nhsNumbers = /\b9\d{9}\b/
    for (const f of findings) {
      expect(f.summary).not.toMatch(nhsNumbers)
      expect(JSON.stringify(f.evidence)).not.toMatch(nhsNumbers)
      expect(f.summary.length).toBeGreaterThan(40)
      expect(f.evidence.length).toBeGreaterThan(0)
    }
    expect(new Set(findings.map((f) => f.rule_id))).toEqual(new Set(dataset.planted.map((p) => p.rule)))
    // At least one breach of each promise rule is planted, and found.
    for (const rule of ['secondary_without_consent', 'recipient_unassured', 'outside_notice'])
      expect(found.has(expected.find((k) => k.startsWith(`${rule} `))!), rule).toBe(true)
    // Each promise finding quotes the practice's notice in its own words.
    for (const f of findings.filter((f) => ['secondary_without_consent', 'recipient_unassured', 'outside_notice'].includes(f.rule_id))) {
      expect(f.summary).toMatch(/The practice's privacy notice \(version 1\) promises: “.{20,}”$/)
    }
    // Every finding has its opening in its history.
    const { rows } = await t.db.raw(
      `SELECT count(*) AS n FROM findings f WHERE NOT EXISTS (SELECT 1 FROM finding_events e WHERE e.finding_id = f.id AND e.from_status IS NULL AND e.to_status = 'open' AND e.by_user_id IS NULL)`,
    )
    expect(rows[0].n).toBe(0)
  })

  it('changes nothing when evaluated again, incrementally or in full, or collected again', async () => {
    const before = await openFindingKeys()
    const events = await t.db('finding_events').count('* as n').first()
    for (const mode of ['incremental', 'full'] as const) {
      const again = await refreshFindings(deps, { mode })
      expect(
        again.rules.filter((r) => r.opened || r.reopened || r.resolved || r.written),
        mode,
      ).toEqual([])
    }
    await collect(deps, { all: true })
    expect(await openFindingKeys()).toEqual(before)
    expect(await t.db('finding_events').count('* as n').first()).toEqual(events)
  })
})
