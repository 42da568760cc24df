import { describe, expect, it } from 'vitest'
import { addAgreement } from '../../../core/admin/index.js'
import { refreshFindings, type RefreshResult } from '../../../core/findings/refresh.js'
import { verifyFindingRollups } from '../../../db/finding-rollups.js'
import { openFindingTotals } from '../../../db/queries/finding-cases.js'
import { useTestDatabase } from '../../support/db.js'
import { practiceFixture } from './fixtures.js'

// Issue 19: registering the one agreement a case asks for resolves all of the case's findings in
// one transaction (the incremental refresh re-checks that recipient's disclosures, and only
// them: one statement resolves them and writes their history), and the count roll-ups equal a
// direct count after.

const t = useTestDatabase()

describe('adding one agreement', () => {
  it('resolves its case’s few thousand findings in one transaction, and leaves the other cases open', async () => {
    const db = t.db
    const a = await practiceFixture(db, 'A81001', 'Riverside')
    const uni = await a.org('Lane University', 'research_org', 'LU1')
    const csu = await a.org('North CSU', 'data_processor', '0AR')
    const write = async (recipient: number, purpose: string, n: number, tag: string) =>
      db.raw(
        `INSERT INTO disclosures (practice_id, source_id, source_record_id, source_version, occurred_at, patient_pseudonym, recipient_id, purpose, data_level)
         SELECT ?, ?, ? || g, '1', '2026-01-01T09:00:00Z'::timestamptz + g * interval '50 minutes',
                'P-MANY-' || lpad((g % 500)::text, 4, '0') || '-0000', ?, ?, 'identifiable'
           FROM generate_series(1, ?) g`,
        [a.practice.id, a.source.id, tag, recipient, purpose, n],
      )
    await write(uni, 'research', 4000, 'u')
    await write(csu, 'commissioning', 600, 'c')
    const config = { overrideReviewDays: 7 }
    await refreshFindings({ db, config })
    const key = `recipient:${uni}:research`
    expect(await db('findings').where({ case_key: key, status: 'open', rule_id: 'no_agreement' }).count('* as n').first()).toEqual({
      n: 4000,
    })
    const openBefore = (await openFindingTotals(db, { practiceIds: [a.practice.id] })).open
    expect(openBefore).toBe(4600)

    const refreshes: RefreshResult[] = []
    const added = await addAgreement(
      {
        db,
        by: { userId: null, actor: 'cli:test' },
        door: 'cli',
        refreshFindings: async () => {
          const done = await refreshFindings({ db, config })
          refreshes.push(done)
          return done
        },
      },
      {
        reference: 'DSA-2026-200',
        recipient: String(uni),
        purposes: ['research'],
        practices: ['A81001'],
        dataLevel: 'identifiable',
        validFrom: '2025-12-01',
      },
    )
    expect(added.ok).toBe(true)
    if (!added.ok) return
    expect(added.value.findings).toMatchObject({ resolved: 4000 })
    // Only the recipient whose agreements changed was checked again (decision 042), not every
    // open finding: the other case's 600 stand unread.
    expect(refreshes.at(-1)!.rules.find((r) => r.ruleId === 'no_agreement')).toMatchObject({ mode: 'incremental', checked: 4000 })

    // Every finding of the case resolved, by one transaction: the rows share the xmin of the
    // transaction that wrote them, and their history rows share its now().
    const rows = await db('findings')
      .where({ case_key: key, rule_id: 'no_agreement' })
      .select(db.raw('status, count(*)::int AS n, count(DISTINCT xmin::text)::int AS transactions'))
      .groupBy('status')
    expect(rows).toEqual([{ status: 'resolved', n: 4000, transactions: 1 }])
    const events = await db('finding_events as e')
      .join('findings as f', 'f.id', 'e.finding_id')
      .where({ 'f.case_key': key, 'e.to_status': 'resolved' })
      .select(
        db.raw(
          'count(*)::int AS n, count(DISTINCT e.at)::int AS instants, min(e.reason) AS reason, bool_and(e.by_user_id IS NULL) AS system',
        ),
      )
      .first()
    expect(events).toMatchObject({ n: 4000, instants: 1, system: true })
    expect(events.reason).toMatch(/^Agreement DSA-2026-200 now covers research disclosures to Lane University/)
    expect(Number((await db('ledger_entries').where({ table_name: 'finding_events' }).count('* as n').first())!.n)).toBe(4600 + 4000)

    // The other case stands; the roll-ups equal a direct count.
    expect(
      await db('findings')
        .where({ case_key: `recipient:${csu}:commissioning`, status: 'open' })
        .count('* as n')
        .first(),
    ).toEqual({
      n: 600,
    })
    expect((await openFindingTotals(db, { practiceIds: [a.practice.id] })).open).toBe(600)
    const direct = await db('findings').where({ practice_id: a.practice.id, status: 'open' }).count('* as n').first()
    expect(direct).toEqual({ n: 600 })
    expect((await verifyFindingRollups(db)).mismatches).toEqual([])
    expect(await db('finding_case_counts').where({ case_key: key }).select('status', 'findings')).toEqual([
      { status: 'resolved', findings: 4000 },
    ])
  }, 300_000)
})
