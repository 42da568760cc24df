import { describe, expect, it } from 'vitest'
import type { Db } from '../../../db/client.js'
import { rebuildFindingRollups, verifyFindingRollups } from '../../../db/finding-rollups.js'
import { openFindingTotals } from '../../../db/queries/finding-cases.js'
import { countNotifications } from '../../../db/queries/notifications.js'
import { setCaseStatus, setFindingStatus } from '../../../core/findings/status.js'
import { useTestDatabase } from '../../support/db.js'
import { runLedger } from '../../support/processes.js'
import { TEST_PSEUDONYM_KEY } from '../../support/test-env.js'
import { practiceFixture, refresh, reviewer } from './fixtures.js'

// The findings roll-ups (decision 036): finding_counts and finding_case_counts, kept by
// statement-level triggers, must equal a direct count of the findings whatever writes them and
// however many write at once; the overview's and the notifications' counts read them.

const t = useTestDatabase()

/** Disclosures written as a bulk statement (a collector's batch): `n` to one recipient for a purpose. */
async function bulkDisclosures(
  db: Db,
  o: { practiceId: number; sourceId: number; recipientId: number; purpose: string; n: number; tag: string },
) {
  await db.raw(
    `INSERT INTO disclosures (practice_id, source_id, source_record_id, source_version, occurred_at, patient_pseudonym, recipient_id, purpose, data_level)
     SELECT ?, ?, ? || '-' || g, '1', '2026-05-01T10:00:00Z'::timestamptz + g * interval '37 minutes',
            'P-ROLL-' || lpad((g % 97)::text, 4, '0') || '-0000', ?, ?, 'identifiable'
       FROM generate_series(1, ?) g`,
    [o.practiceId, o.sourceId, o.tag, o.recipientId, o.purpose, o.n],
  )
}

async function directOpen(db: Db, practiceIds: number[], severity?: string): Promise<number> {
  const q = db('findings').whereIn('practice_id', practiceIds).where({ status: 'open' }).count('* as n')
  if (severity) q.where({ severity })
  return Number(((await q.first()) as { n: string }).n)
}

describe('the findings roll-ups', () => {
  it('equal a direct count after refreshes, decisions for a finding and for a whole case, and agreements, made concurrently', async () => {
    const db = t.db
    const a = await practiceFixture(db, 'A81001')
    const b = await practiceFixture(db, 'B82002')
    const uni = await a.org('Lane University', 'research_org', 'LU1')
    const insurer = await a.org('Acme Insurance', 'insurer', 'AC1')
    const csu = await a.org('North CSU', 'data_processor', '0AR')
    for (const p of [a, b]) {
      await bulkDisclosures(db, {
        practiceId: p.practice.id,
        sourceId: p.source.id,
        recipientId: uni,
        purpose: 'research',
        n: 400,
        tag: 'r',
      })
      await bulkDisclosures(db, {
        practiceId: p.practice.id,
        sourceId: p.source.id,
        recipientId: csu,
        purpose: 'commissioning',
        n: 300,
        tag: 'c',
      })
      await bulkDisclosures(db, {
        practiceId: p.practice.id,
        sourceId: p.source.id,
        recipientId: insurer,
        purpose: 'insurance',
        n: 20,
        tag: 'i',
      })
    }
    await refresh(db, { rules: ['no_agreement', 'prohibited_purpose'] })
    expect((await verifyFindingRollups(db)).mismatches).toEqual([])
    const scope = { practiceIds: [a.practice.id, b.practice.id] }
    const totals = await openFindingTotals(db, scope)
    expect(totals.open).toBe(await directOpen(db, scope.practiceIds))
    expect(totals.open).toBeGreaterThan(1400)
    expect(totals.high).toBe(await directOpen(db, scope.practiceIds, 'high'))
    expect(totals.high).toBeGreaterThan(0)

    const guardian = await reviewer(db)
    const someIds = (
      await db('findings').where({ practice_id: a.practice.id, rule_id: 'no_agreement' }).orderBy('id').limit(30).pluck('id')
    ).map(Number)
    // Writers at once, each on its own connection: new disclosures and refreshes, single
    // decisions, a whole case accepted, an agreement added for the other recipient, and refreshes.
    await Promise.all([
      (async () => {
        for (let i = 0; i < 4; i++) {
          await bulkDisclosures(db, {
            practiceId: b.practice.id,
            sourceId: b.source.id,
            recipientId: uni,
            purpose: 'research',
            n: 50,
            tag: `late${i}`,
          })
          await refresh(db, { rules: ['no_agreement'] })
        }
      })(),
      (async () => {
        for (const id of someIds) await setFindingStatus(db, id, id % 2 ? 'accepted' : 'resolved', 'Checked with the recipient', guardian)
      })(),
      setCaseStatus(
        db,
        { ruleId: 'no_agreement', practiceId: b.practice.id, caseKey: `recipient:${csu}:commissioning`, from: 'open' },
        'accepted',
        'Commissioning data flows under the ICB’s s251 support',
        guardian,
      ),
      (async () => {
        await a.agreement({ recipientId: csu, purposes: ['commissioning'], level: 'identifiable', from: '2020-01-01' })
        await refresh(db, { rules: ['no_agreement'] })
      })(),
      refresh(db, { rules: ['no_agreement', 'prohibited_purpose'], mode: 'full' }),
    ])
    await refresh(db)
    expect((await verifyFindingRollups(db)).mismatches).toEqual([])
    expect((await openFindingTotals(db, scope)).open).toBe(await directOpen(db, scope.practiceIds))
    expect((await openFindingTotals(db, { practiceIds: [b.practice.id] })).open).toBe(await directOpen(db, [b.practice.id]))
    // Each case's count is the number of its findings in that status.
    const { rows } = await db.raw(
      `SELECT c.findings, (SELECT count(*)::int FROM findings f WHERE f.rule_id = c.rule_id AND f.practice_id = c.practice_id
                                                      AND f.case_key = c.case_key AND f.status = c.status) AS direct
         FROM finding_case_counts c`,
    )
    expect(rows.length).toBeGreaterThan(4)
    for (const r of rows) expect(r.findings).toBe(r.direct)
    // The case accepted as one: every one of its findings carries the reason in its history.
    const accepted = await db('findings as f')
      .join('finding_events as e', 'e.finding_id', 'f.id')
      .where({ 'f.practice_id': b.practice.id, 'f.case_key': `recipient:${csu}:commissioning`, 'e.to_status': 'accepted' })
      .count('* as n')
      .first()
    expect(Number(accepted!.n)).toBe(300)
  }, 240_000)

  it('notifications count new high-severity findings per practice from the index, and none where the roll-up has none', async () => {
    const db = t.db
    const c = await practiceFixture(db, 'C81003')
    const d = await practiceFixture(db, 'D81004')
    const insurer = await c.org('Acme Insurance', 'insurer', 'AC1')
    await bulkDisclosures(db, {
      practiceId: c.practice.id,
      sourceId: c.source.id,
      recipientId: insurer,
      purpose: 'insurance',
      n: 80,
      tag: 'x',
    })
    await refresh(db, { rules: ['prohibited_purpose'] })
    const guardian = await reviewer(db)
    const viewer = (ids: number[]) => ({ userId: guardian, role: 'caldicott_guardian' as const, practiceIds: ids })
    // Bounded at 50 per kind, as before.
    expect(await countNotifications(db, viewer([c.practice.id]), 7)).toBe(50)
    expect(await countNotifications(db, viewer([d.practice.id]), 7)).toBe(0)
  }, 120_000)

  it('are rebuilt and verified by `ledger rollups rebuild` and `ledger rollups verify`', async () => {
    const db = t.db
    await db('finding_counts').update({ findings: db.raw('findings + 5') })
    await db('finding_case_counts').where({ status: 'open' }).del()
    const env = { DATABASE_URL: t.url, PSEUDONYM_KEY: TEST_PSEUDONYM_KEY }
    const broken = await runLedger(['rollups', 'verify', '--json'], env)
    expect(broken.code).toBe(1)
    expect(JSON.parse(broken.stdout).mismatches.length).toBeGreaterThan(0)
    const rebuilt = await runLedger(['rollups', 'rebuild', '--json'], env)
    expect(rebuilt.code, rebuilt.stderr).toBe(0)
    expect(JSON.parse(rebuilt.stdout).tables.map((r: { table: string }) => r.table)).toContain('finding_case_counts')
    const ok = await runLedger(['rollups', 'verify'], env)
    expect(ok.code, ok.stderr).toBe(0)
    expect(ok.stdout).toMatch(/equal a direct count/)
    expect((await rebuildFindingRollups(db)).length).toBe(2)
    expect((await verifyFindingRollups(db)).mismatches).toEqual([])
  }, 120_000)
})
