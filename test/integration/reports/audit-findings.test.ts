import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listFindingsAboutPeriod } from '../../../db/queries/findings.js'
import { finishRun, startRun } from '../../../db/queries/job-runs.js'
import { ensureOrganisation } from '../../../db/queries/organisations.js'
import { ensurePractice } from '../../../db/queries/practices.js'
import {
  quarantineRecords,
  upsertDisclosures,
  upsertOverrideEvents,
  type DisclosureRecord,
  type OverrideEventRecord,
} from '../../../db/queries/records.js'
import { addSource } from '../../../db/queries/sources.js'
import { createUser } from '../../../db/queries/users.js'
import { setFindingStatus } from '../../../core/findings/status.js'
import { evaluateFindings } from '../../../core/findings/evaluate.js'
import { generateReport } from '../../../reports/index.js'
import { useTestDatabase } from '../../support/db.js'
import { pdfPages, packBody } from './fixtures.js'

// Issue 15, defect 2: a pack for a past quarter lists the findings about that quarter's records,
// although every one of them was detected (opened) after the quarter ended.

const t = useTestDatabase()
let tmp: string
let practiceId: number
let resolvedId: number
const Q3 = { from: '2026-07-01', to: '2026-09-30' }

/** Prohibited-purpose disclosures and unreviewed overrides inside Q3 and either side of it. */
async function seed() {
  const practice = await ensurePractice(t.db, { odsCode: 'Q30001', name: 'Quarter Surgery' })
  practiceId = practice.id
  const source = await addSource(t.db, { practiceId, kind: 'fhir', name: 'Quarter FHIR', baseUrl: 'http://127.0.0.1:1/fhir' })
  const insurer = await ensureOrganisation(t.db, { name: 'Acme Insurance', recipientType: 'insurer' })
  // Times at the edges in England: 00:30 on 1 July BST is 23:30 on 30 June UTC (inside);
  // 23:30 on 30 September BST is 22:30 UTC (inside); 00:30 on 1 October BST is 23:30 UTC on 30 September (outside).
  const times = [
    '2026-06-15T10:00:00Z',
    '2026-06-30T23:30:00Z',
    '2026-07-20T10:00:00Z',
    '2026-08-11T10:00:00Z',
    '2026-09-30T22:30:00Z',
    '2026-09-30T23:30:00Z',
    '2026-11-02T10:00:00Z',
  ]
  const disclosures: DisclosureRecord[] = times.map((at, i) => ({
    practice_id: practiceId,
    source_id: source.id,
    source_record_id: `mk-${i}`,
    source_version: '1',
    occurred_at: at,
    patient_pseudonym: `P-MKTG-${String(i).padStart(4, '0')}`,
    recipient_id: insurer,
    purpose: 'insurance',
    purpose_code: 'COVERAGE',
    legal_basis: null,
    data_level: 'identifiable',
    data_description: null,
    disclosed_by_role: null,
    disclosed_by: null,
    run_id: null,
  }))
  await upsertDisclosures(t.db, disclosures)
  const overrides: OverrideEventRecord[] = ['2026-05-02T09:00:00Z', '2026-08-02T09:00:00Z', '2026-09-12T09:00:00Z'].map((at, i) => ({
    practice_id: practiceId,
    source_id: source.id,
    source_record_id: `bg-${i}`,
    source_version: '1',
    occurred_at: at,
    patient_pseudonym: `P-BGLS-${String(i).padStart(4, '0')}`,
    kind: 'break_glass',
    reason_code: 'OVRER',
    purpose_code: 'ETREAT',
    legal_basis: 'vital_interests',
    actor_role: 'GP',
    actor: 'dr.a',
    recipient_id: null,
    description: 'Emergency access',
    run_id: null,
  }))
  await upsertOverrideEvents(t.db, overrides)
  // Detected after the quarter, as when its records are collected late: the checks run, and the
  // detection time is pinned to November so the test does not depend on today's date.
  await evaluateFindings(t.db, { mode: 'full' })
  await t.db('findings').update({ opened_at: '2026-11-20T09:00:00Z' })
  const guardian = await createUser(t.db, {
    email: 'g@quarter.nhs.uk',
    password: 'x'.repeat(16),
    role: 'caldicott_guardian',
    practiceIds: [practiceId],
    displayName: 'Dr Gail Guardian',
  })
  const aboutAugust = await t
    .db('findings as f')
    .join('disclosures as d', t.db.raw(`d.id = split_part(f.subject_key, ':', 2)::bigint`))
    .where('d.source_record_id', 'mk-3')
    .first('f.id')
  resolvedId = Number(aboutAugust.id)
  await setFindingStatus(
    t.db,
    resolvedId,
    'accepted',
    'Reported to the ICO as incident INC-0042; the insurer deleted the copy.',
    guardian.id,
  )
}

beforeAll(async () => {
  await seed()
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-audit-findings-'))
})
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true })
})

describe('audit evidence pack: findings about the period', () => {
  it('lists every finding whose disclosure or override is in the quarter, detected later, with status, reason and history', async () => {
    // The direct count over the raw rows: findings whose disclosure or override event occurred in Q3 (England).
    const direct = await t.db.raw(
      `SELECT f.id FROM findings f
         LEFT JOIN disclosures d ON f.subject_key = 'disclosure:' || d.id
         LEFT JOIN override_events o ON f.subject_key = 'override:' || o.id
        WHERE f.practice_id = ?
          AND coalesce(d.occurred_at, o.occurred_at) >= timestamptz '2026-07-01 00:00 Europe/London'
          AND coalesce(d.occurred_at, o.occurred_at) <  timestamptz '2026-10-01 00:00 Europe/London'
        ORDER BY f.id`,
      [practiceId],
    )
    const expected: number[] = direct.rows.map((r: { id: string }) => Number(r.id))
    // Several rules can find the same disclosure (prohibited purpose, no agreement...): at least one each for 4 disclosures and 2 overrides.
    expect(new Set(await t.db('findings').whereIn('id', expected).pluck('subject_key')).size).toBe(6)
    // The others concern 3 disclosures and 1 override outside the quarter.
    expect(new Set(await t.db('findings').whereNotIn('id', expected).pluck('subject_key')).size).toBe(4)

    const file = path.join(tmp, 'q3.pdf')
    const r = await generateReport(t.db, { kind: 'audit', practiceIds: [practiceId], ...Q3, generatedBy: 'test:auditor' }, file)
    expect(r.rowCounts.findings).toBe(expected.length)
    const text = pdfPages(file).join('\n')
    expect(text).toMatch(new RegExp(`Findings about the period\\s+${expected.length}\\b`))
    const high = Number((await t.db('findings').whereIn('id', expected).where('severity', 'high').count({ n: '*' }).first())!.n)
    expect(text).toMatch(new RegExp(`By severity\\s+${high} high, ${expected.length - high} medium, 0 low`))
    // The findings table's Id column (each row starts with its id): exactly the direct query's findings.
    const body = packBody(text)
    // Section 6 groups them by case; the appendix lists them one by one (decision 036).
    const cases = body.slice(body.indexOf('6. Compliance findings'), body.indexOf('Findings about the period'))
    expect(cases).toMatch(/Disclosure for a\s+High\s+Q30001 Acme\s+4 2026-07-01\s+3 open, 1/)
    expect(cases.match(/Review the override\./g)).toHaveLength(2)
    expect(text).toMatch(new RegExp(`Cases\\s+${r.rowCounts.finding_cases}\\b`))
    const section = body.slice(
      body.indexOf('Appendix: individual findings and their history'),
      body.indexOf('Status history of these findings'),
    )
    // (the rule prints as its title and the severity as a word: labels, not codes)
    const printed = [...section.matchAll(/^(\d+)\s+\S.*?\s(?:High|Medium|Low)\b/gm)].map((m) => Number(m[1]))
    expect(printed).toEqual(expected)
    // Current status with its reason, and the history of changes with who made them.
    const flat = text.replace(/\s+/g, ' ')
    expect(flat).toContain('Status history of these findings')
    expect(flat).toContain('New to Open')
    expect(flat).toMatch(/Open to Accepted Dr Gail Guardian Reported to the ICO as incident INC-0042;/) // the reason wraps in its column
    expect(flat).toContain('the insurer deleted the copy.')
    expect(section).toMatch(new RegExp(`^${resolvedId}\\s.*Accepted:`, 'm')) // status and reason wrap in their cell
    expect(r.rowCounts.finding_history).toBe(expected.length + 1)
    const history = await t.db('finding_events').whereIn('finding_id', expected).count({ n: '*' }).first()
    expect(Number(history!.n)).toBe(expected.length + 1)
  })

  it('takes a source finding by when its problem was open, and a publication finding by its date', async () => {
    const source = await addSource(t.db, { practiceId, kind: 'fhir', name: 'Second FHIR', baseUrl: 'http://127.0.0.1:2/fhir' })
    const run = await startRun(t.db, { jobName: 'collect', sourceId: source.id, trigger: 'schedule', lockedBy: 'test' })
    await finishRun(t.db, run.id, 'completed', null)
    await t.db('job_runs').where({ id: run.id }).update({ started_at: '2026-08-15T08:00:00Z', finished_at: '2026-08-15T08:05:00Z' })
    await quarantineRecords(t.db, [
      {
        sourceId: source.id,
        recordKey: 'AuditEvent/odd',
        resourceType: 'AuditEvent',
        reason: 'unknown purpose',
        payload: null,
        runId: run.id,
      },
    ])
    const quarantined = await t.db('quarantine').where({ source_id: source.id }).first('id')
    await t.db('quarantine').where({ id: quarantined.id }).update({ first_seen_at: '2026-10-10T08:00:00Z' })
    const finding = (rule: string, key: string, evidence: unknown[]) => ({
      rule_id: rule,
      severity: 'medium',
      practice_id: practiceId,
      subject_key: key,
      summary: `${rule} ${key}`,
      evidence: JSON.stringify(evidence),
      status: 'open',
      opened_at: '2026-11-20T09:00:00Z',
    })
    const ids = await t
      .db('findings')
      .insert([
        // silent since its last good run in August (in Q3), detected in November: about Q3
        finding('silent_source', `source:${source.id}`, [
          { type: 'source', id: source.id },
          { type: 'job_run', id: run.id },
        ]),
        // unreadable records since October, detected in November: not about Q3
        finding('quarantine_growing', `source:${source.id}`, [
          { type: 'source', id: source.id },
          { type: 'quarantine', id: quarantined.id },
        ]),
        finding('ndop_count_mismatch', `practice:${practiceId}:ndop:2026-08-31`, []),
        finding('ndop_count_mismatch', `practice:${practiceId}:ndop:2026-10-31`, []),
      ])
      .returning('id')
    const [silent, growing, augustPublication, octoberPublication] = ids.map((r: { id: string }) => Number(r.id))
    const about = (await listFindingsAboutPeriod(t.db, { practiceIds: [practiceId], ...Q3 })).map((f) => Number(f.id))
    expect(about).toContain(silent)
    expect(about).toContain(augustPublication)
    expect(about).not.toContain(growing)
    expect(about).not.toContain(octoberPublication)
    // A silence that ended (finding resolved) before the quarter began is not about it.
    await setFindingStatus(t.db, silent!, 'resolved', 'The source delivered again.', null)
    await t.db('finding_events').where({ finding_id: silent }).update({ at: '2026-06-01T00:00:00Z' })
    await t.db('job_runs').where({ id: run.id }).update({ finished_at: '2026-05-15T08:05:00Z' })
    expect((await listFindingsAboutPeriod(t.db, { practiceIds: [practiceId], ...Q3 })).map((f) => Number(f.id))).not.toContain(silent)
  })
})
