import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedDemoAgreements } from '../../../cli/demo-seed.js'
import { ensurePractice } from '../../../db/queries/practices.js'
import { generateDataset, ndopCsv, noticeFileFor, type Dataset } from '../../../simulator/data.js'
import { startSimulator, type RunningSimulator } from '../../../simulator/server.js'
import { useTestDatabase } from '../../support/db.js'
import { runLedger } from '../../support/processes.js'
import { TEST_PSEUDONYM_KEY } from '../../support/test-env.js'

// `ledger collect` returns with the findings for what it collected already up to date;
// `ledger findings` lists them and `ledger agreement add` can close one.

const t = useTestDatabase()
const OPTIONS = { practices: 1, days: 30, seed: 1 }
let sim: RunningSimulator
let dataset: Dataset
let tmp: string
const env = () => ({ DATABASE_URL: t.url, PSEUDONYM_KEY: TEST_PSEUDONYM_KEY, SCHEDULER: 'off' })

beforeAll(async () => {
  sim = await startSimulator({ port: 0, ...OPTIONS })
  dataset = generateDataset(OPTIONS)
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-findings-cli-'))
})
afterAll(async () => {
  await sim?.close()
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true })
})

interface ListedFinding {
  id: number
  ruleId: string
  severity: string
  practice: string
  subjectKey: string
  summary: string
  evidence: Array<{ type: string; id: number; sourceRecordId?: string; name?: string }>
  title: string
}

/** "<rule> <practice> <AuditEvent id>", read from the evidence the CLI prints. */
const keyOf = (f: ListedFinding) => {
  const record = f.evidence.find((e) => e.type === 'disclosure' || e.type === 'override')
  return [f.ruleId, f.practice, record?.sourceRecordId?.replace(/#override$/, '')].filter(Boolean).join(' ')
}

async function listed(args: string[] = []): Promise<ListedFinding[]> {
  const out = await runLedger(['findings', '--json', ...args], env())
  expect(out.code, out.stderr).toBe(0)
  return JSON.parse(out.stdout)
}

describe('ledger findings', () => {
  it('lists the planted violations after ledger collect, and ledger agreement add resolves one', { timeout: 240_000 }, async () => {
    const [p] = sim.practices
    expect((await runLedger(['source', 'add', '--practice', p!.odsCode, '--url', p!.fhirBaseUrl], env())).code).toBe(0)
    await ensurePractice(t.db, { odsCode: p!.odsCode, name: p!.name })
    await seedDemoAgreements(t.db, dataset)
    const file = path.join(tmp, 'NDOP_reg_geog_Nov_2026.csv')
    fs.writeFileSync(file, ndopCsv(dataset, { achDate: '2026-11-01' }))
    expect((await runLedger(['import', 'ndop', file], env())).code).toBe(0)
    // The practice's privacy notice (seeds/notices/000-...): the promise rules judge against it.
    const imported = await runLedger(['notice', 'import', noticeFileFor(0).path, '--practice', p!.odsCode, '--json'], env())
    expect(imported.code, imported.stderr).toBe(0)
    expect(JSON.parse(imported.stdout)).toMatchObject({ version: 1, practice: p!.odsCode })

    const collected = await runLedger(['collect', '--all', '--json'], env())
    expect(collected.code, collected.stderr).toBe(0)
    expect(collected.stderr).not.toMatch(/failed/)

    const findings = await listed()
    const expected = [...new Set(dataset.planted.map((x) => [x.rule, x.practice, x.resourceId].filter(Boolean).join(' ')))].sort()
    expect(findings.map(keyOf).sort()).toEqual(expected)
    expect(findings[0]!.severity).toBe('high')
    expect(findings.find((f) => f.ruleId === 'prohibited_purpose')).toMatchObject({
      title: 'Disclosure for a prohibited purpose',
      practice: p!.odsCode,
    })
    expect(await listed(['--practice', p!.odsCode])).toHaveLength(findings.length)

    const table = await runLedger(['findings'], env())
    expect(table.code).toBe(0)
    expect(table.stdout.split('\n')[0]).toMatch(/^id\s+severity\s+rule\s+practice\s+opened\s+summary$/)
    expect(table.stdout).toMatch(/\shigh\s+prohibited_purpose\s+A81001\s/)
    const unknown = await runLedger(['findings', '--practice', 'B99999'], env())
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toMatch(/no practice with ODS code B99999/)

    // The genomics company's research extract has no agreement; one is added by the CLI.
    const noAgreement = findings.find(
      (f) => f.ruleId === 'no_agreement' && f.evidence.some((e) => e.name === 'Northern Genomics Analytics Ltd'),
    )!
    const disclosure = await t.db('disclosures').where({ id: noAgreement.evidence[0]!.id }).first('purpose', 'occurred_at')
    const added = await runLedger(
      [
        'agreement',
        'add',
        '--reference',
        'DSA-CLI-001',
        '--recipient-name',
        'Northern Genomics Analytics Ltd',
        '--recipient-type',
        'research_org',
        '--purpose',
        disclosure.purpose,
        '--purpose',
        'benchmarking',
        '--data-level',
        'pseudonymised',
        '--from',
        '2026-01-01',
        '--practice',
        p!.odsCode,
      ],
      env(),
    )
    expect(added.code, added.stderr).toBe(0)
    expect(added.stdout).toMatch(/^Added agreement DSA-CLI-001 \(id \d+\)\. Findings: 1 resolved, 0 opened\./)
    expect((await listed()).map((f) => f.id)).not.toContain(noAgreement.id)
    const events = await t
      .db('finding_events')
      .where({ finding_id: noAgreement.id })
      .orderBy('id')
      .select('to_status', 'reason', 'by_user_id')
    expect(events.at(-1)).toEqual({
      to_status: 'resolved',
      reason: expect.stringMatching(/^Agreement DSA-CLI-001 now covers /),
      by_user_id: null,
    })
    expect(await t.db('access_log').where({ action: 'agreement_add' }).first()).toMatchObject({
      target: expect.stringMatching(/^agreement:\d+$/),
    })

    const refreshed = await runLedger(['findings', 'refresh', '--full', '--json'], env())
    expect(refreshed.code, refreshed.stderr).toBe(0)
    expect(JSON.parse(refreshed.stdout)).toMatchObject({ mode: 'full', opened: 0, reopened: 0, resolved: 0 })
  })

  it('refuses a notice file it cannot record, naming the field, and lists the versions recorded', { timeout: 240_000 }, async () => {
    await ensurePractice(t.db, { odsCode: 'A81009', name: 'Notice Test Surgery' })
    const attempt = async (name: string, body: string) => {
      const file = path.join(tmp, name)
      fs.writeFileSync(file, body)
      const out = await runLedger(['notice', 'import', file, '--practice', 'A81009'], env())
      expect(out.code).toBe(2)
      return out.stderr.trim()
    }
    const good = 'title: T\nin_force_from: 2026-01-01\npromises:\n  - promise: safe_systems\n    words: We share only with safe systems.\n'
    expect(await attempt('a.yaml', good.replace('title: T\n', ''))).toMatch(/a\.yaml: title: is required$/)
    expect(await attempt('b.yaml', `${good}purposes: [research, reserch]\n`)).toMatch(
      /b\.yaml: purposes\[1\]: "reserch" is not a purpose code \(known: /,
    )
    expect(await attempt('c.yaml', `${good}purpose: [research]\n`)).toMatch(/c\.yaml: unknown field "purpose"$/)
    expect(await attempt('d.yaml', good.replace('safe_systems', 'be_nice'))).toMatch(
      /d\.yaml: promises\[0\]\.promise: must be one of the catalogue's promises: /,
    )
    expect(await attempt('e.yaml', good.replace('2026-01-01', '2026-02-30'))).toMatch(
      /e\.yaml: in_force_from: is not a real calendar date$/,
    )
    expect(await attempt('f.json', '{"title": "T",')).toMatch(/f\.json is not valid JSON/)
    expect(await attempt('g.yaml', `${good}recipient_types: [nhs_trust]\n`)).toMatch(/needs an only_as_listed promise/)
    expect(
      await t
        .db('privacy_notices')
        .join('practices', 'practices.id', 'privacy_notices.practice_id')
        .where({ ods_code: 'A81009' })
        .count('* as n')
        .first(),
    ).toEqual({ n: 0 })
    fs.writeFileSync(
      path.join(tmp, 'ok.json'),
      JSON.stringify({
        title: 'Version two',
        in_force_from: '2026-06-01',
        promises: [{ promise: 'safe_systems', words: 'We share only with safe systems.' }],
      }),
    )
    for (const f of ['ok.yaml', 'ok.json']) {
      if (f === 'ok.yaml') fs.writeFileSync(path.join(tmp, f), good)
      const out = await runLedger(['notice', 'import', path.join(tmp, f), '--practice', 'A81009'], env())
      expect(out.code, out.stderr).toBe(0)
    }
    // ledger dspt: the organisation register's DSPT status, for an organisation named like agreement add's recipient.
    const unknownOrg = await runLedger(['dspt', '--org-ods', 'NQX9', '--status', 'standards_met', '--from', '2026-01-01'], env())
    expect(unknownOrg.code).toBe(2)
    expect(unknownOrg.stderr).toMatch(/No organisation with ODS code NQX9 is known yet: give its --org-name \(and --org-type\) too\./)
    const dspt = await runLedger(
      [
        'dspt',
        '--org-ods',
        'NQX9',
        '--org-name',
        'Quay Care Ltd',
        '--org-type',
        'private_provider',
        '--status',
        'approaching_standards',
        '--from',
        '2026-03-01',
        '--to',
        '2026-03-31',
      ],
      env(),
    )
    expect(dspt.code, dspt.stderr).toBe(0)
    expect(
      await t
        .db('organisation_dspt as s')
        .join('organisations as o', 'o.id', 's.organisation_id')
        .where('o.ods_code', 'NQX9')
        .first('s.status', 'o.name'),
    ).toEqual({ status: 'approaching_standards', name: 'Quay Care Ltd' })

    const list = await runLedger(['notice', 'list', '--practice', 'A81009', '--json'], env())
    expect(list.code, list.stderr).toBe(0)
    expect(
      JSON.parse(list.stdout).map((v: { version: number; title: string; inForceFrom: string }) => [v.version, v.title, v.inForceFrom]),
    ).toEqual([
      [2, 'Version two', '2026-06-01'],
      [1, 'T', '2026-01-01'],
    ])
  })

  it('refuses agreements it cannot record, saying why', async () => {
    const base = ['agreement', 'add', '--data-level', 'identifiable', '--from', '2026-01-01', '--practice', 'A81001']
    const prohibited = await runLedger(
      [...base, '--reference', 'X-1', '--recipient-ods', 'RX1', '--recipient-name', 'A trust', '--purpose', 'marketing'],
      env(),
    )
    expect(prohibited.code).toBe(2)
    expect(prohibited.stderr.trim()).toBe('--purpose: Choose purposes from the list (marketing and insurance are never allowed).')
    const unknownPurpose = await runLedger(
      [...base, '--reference', 'X-2', '--recipient-ods', 'RX1', '--recipient-name', 'A trust', '--purpose', 'gossip'],
      env(),
    )
    expect(unknownPurpose.code).toBe(2)
    expect(unknownPurpose.stderr.trim()).toBe('--purpose: Choose purposes from the list: "gossip" is not one.')
    const noRecipient = await runLedger([...base, '--reference', 'X-3', '--purpose', 'research'], env())
    expect(noRecipient.code).toBe(2)
    expect(noRecipient.stderr.trim()).toBe('--recipient-name: Enter the recipient organisation’s name.')
    const backwards = await runLedger(
      [
        ...base,
        '--reference',
        'X-4',
        '--recipient-ods',
        'RX1',
        '--recipient-name',
        'A trust',
        '--purpose',
        'research',
        '--to',
        '2025-01-01',
      ],
      env(),
    )
    expect(backwards.code).toBe(2)
    const duplicate = await runLedger(
      [...base, '--reference', 'DSA-CLI-001', '--recipient-ods', 'RX1', '--recipient-name', 'A trust', '--purpose', 'research'],
      env(),
    )
    expect(duplicate.code).toBe(2)
    expect(duplicate.stderr.trim()).toBe('--reference: An agreement with this reference already exists.')
    const unknownPractice = await runLedger(
      [
        'agreement',
        'add',
        '--data-level',
        'identifiable',
        '--from',
        '2026-01-01',
        '--practice',
        'C99999',
        '--reference',
        'X-5',
        '--recipient-ods',
        'ZQX7',
        '--recipient-name',
        'A trust',
        '--purpose',
        'research',
      ],
      env(),
    )
    expect(unknownPractice.code).toBe(2)
    expect(unknownPractice.stderr).toMatch(/no practice with ODS code C99999/)
    // Refused before anything is written: the recipient named on the way is not left behind.
    expect(await t.db('organisations').where({ ods_code: 'ZQX7' }).first()).toBeUndefined()
  })
})

describe('ledger findings in embedded mode', () => {
  it('refreshes and lists findings on the embedded database too', { timeout: 180_000 }, async () => {
    const small = await startSimulator({ port: 0, practices: 1, days: 10, seed: 2 })
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-findings-embedded-'))
    const embedded = { DATABASE_URL: '', PSEUDONYM_KEY: '', LEDGER_DATA_DIR: dataDir, SCHEDULER: 'off' }
    try {
      const [p] = small.practices
      expect((await runLedger(['source', 'add', '--practice', p!.odsCode, '--url', p!.fhirBaseUrl], embedded)).code).toBe(0)
      const collected = await runLedger(['collect', '--all', '--json'], embedded)
      expect(collected.code, collected.stderr).toBe(0)
      expect(collected.stderr).not.toMatch(/findings refresh after collection failed/)
      const out = await runLedger(['findings', '--json'], embedded)
      expect(out.code, out.stderr).toBe(0)
      const rules = new Set((JSON.parse(out.stdout) as ListedFinding[]).map((f) => f.ruleId))
      // No agreements at all here, so every disclosure lacks one; the planted ones are there too.
      expect(rules).toEqual(
        new Set(['no_agreement', 'optout_disclosure', 'prohibited_purpose', 'dissent_direct_care', 'unreviewed_override']),
      )
      const again = await runLedger(['findings', 'refresh', '--full', '--json'], embedded)
      expect(again.code, again.stderr).toBe(0)
      expect(JSON.parse(again.stdout)).toMatchObject({ opened: 0, reopened: 0, resolved: 0 })
    } finally {
      await small.close()
      fs.rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
