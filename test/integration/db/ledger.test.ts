import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { writeAccessLog } from '../../../db/queries/access-log.js'
import { addAgreement } from '../../../db/queries/agreements.js'
import { ensureOrganisation } from '../../../db/queries/organisations.js'
import { signOverrideReview } from '../../../db/queries/overrides.js'
import { ensurePractice } from '../../../db/queries/practices.js'
import { upsertDisclosures, upsertOverrideEvents, upsertPatientChoices, type DisclosureRecord } from '../../../db/queries/records.js'
import { addSource } from '../../../db/queries/sources.js'
import { createUser } from '../../../db/queries/users.js'
import { scheduledIntegrityCheck, verifyIntegrity } from '../../../db/ledger/index.js'
import { setFindingStatus } from '../../../core/findings/status.js'
import { signingKeyFromSeed, parseSigningSeed } from '../../../core/signing.js'
import type { Db } from '../../../db/client.js'
import { createTestDatabase } from '../../support/db.js'
import { runLedger } from '../../support/processes.js'
import { TEST_PSEUDONYM_KEY, TEST_SIGNING_KEY } from '../../support/test-env.js'

// Issue 16: each tamper is done the way an insider with superuser rights would do it, with every
// trigger off (session_replication_role = replica), on a database of its own; the verifier is
// the CLI an auditor runs.

const dropped: Array<() => Promise<void>> = []
afterAll(async () => {
  for (const d of dropped) await d()
})

async function seeded() {
  const t = await createTestDatabase()
  dropped.push(() => t.drop())
  const db = t.db
  const practice = await ensurePractice(db, { odsCode: 'A81001', name: 'Test Surgery' })
  const other = await ensurePractice(db, { odsCode: 'B82002', name: 'Other Surgery' })
  const source = await addSource(db, { practiceId: practice.id, kind: 'fhir', name: 'FHIR', baseUrl: 'http://127.0.0.1:1/fhir' })
  const source2 = await addSource(db, { practiceId: other.id, kind: 'fhir', name: 'FHIR 2', baseUrl: 'http://127.0.0.1:2/fhir' })
  const recipient = await ensureOrganisation(db, { odsCode: 'RX1', name: 'Hospital', recipientType: 'nhs_trust' })
  const disclosure = (p: { id: number }, s: { id: number }, id: string, version = '1'): DisclosureRecord => ({
    practice_id: p.id,
    source_id: s.id,
    source_record_id: id,
    source_version: version,
    occurred_at: '2026-03-01T10:00:00Z',
    patient_pseudonym: 'P-AAAA-BBBB-CCCC',
    recipient_id: recipient,
    purpose: 'direct_care',
    purpose_code: 'TREAT',
    legal_basis: null,
    data_level: 'identifiable',
    data_description: 'Summary care record',
    disclosed_by_role: null,
    disclosed_by: null,
    run_id: null,
  })
  await upsertDisclosures(
    db,
    [1, 2, 3, 4, 5].map((i) => disclosure(practice, source, `d${i}`)),
  )
  await upsertDisclosures(
    db,
    [1, 2].map((i) => disclosure(other, source2, `e${i}`)),
  )
  // A correction from the source: a new version, the old one kept.
  await upsertDisclosures(db, [disclosure(practice, source, 'd2', '2')])
  await upsertPatientChoices(db, [
    {
      practice_id: practice.id,
      source_id: source.id,
      source_record_id: 'c1',
      source_version: '1',
      patient_pseudonym: 'P-X',
      kind: 'ndop',
      decision: 'deny',
      effective_at: '2026-01-01T00:00:00Z',
      code_system: null,
      code: null,
      status: 'active',
      run_id: null,
    },
  ])
  await upsertOverrideEvents(db, [
    {
      practice_id: practice.id,
      source_id: source.id,
      source_record_id: 'o1',
      source_version: '1',
      occurred_at: '2026-03-02T10:00:00Z',
      patient_pseudonym: 'P-Y',
      kind: 'break_glass',
      reason_code: 'OVRER',
      purpose_code: 'ETREAT',
      legal_basis: null,
      actor_role: 'GP',
      actor: 'staff-1',
      recipient_id: null,
      description: null,
      run_id: null,
    },
  ])
  const event = await db('override_events').first('id')
  const guardian = await createUser(db, {
    email: 'cg@example.org',
    password: 'a long enough password',
    role: 'caldicott_guardian',
    practiceIds: [practice.id],
  })
  const signed = await signOverrideReview(
    db,
    {
      eventId: event.id,
      reviewerId: guardian.id,
      verdict: 'justified',
      reasons: 'Emergency care, documented.',
      secondSignerId: null,
      escalated: false,
      expectedLatestId: null,
    },
    { userId: guardian.id, actor: guardian.email, action: 'override_review' },
  )
  expect(signed.ok).toBe(true)
  const [finding] = await db('findings')
    .insert({
      rule_id: 'test_rule',
      severity: 'high',
      practice_id: practice.id,
      subject_key: 'disclosure:1',
      summary: 'A test finding',
      evidence: '[]',
    })
    .returning('id')
  await db('finding_events').insert({
    finding_id: finding.id,
    from_status: null,
    to_status: 'open',
    reason: 'Found by rule test_rule',
    by_user_id: null,
  })
  await setFindingStatus(db, finding.id, 'accepted', 'Risk accepted by the guardian', guardian.id)
  await setFindingStatus(db, finding.id, 'open', 'Reopened: new evidence', guardian.id)
  await addAgreement(db, {
    reference: 'DSA-1',
    recipientId: recipient,
    dataLevel: 'identifiable',
    validFrom: '2026-01-01',
    validTo: null,
    purposes: ['direct_care'],
    practiceIds: [practice.id],
  })
  await db('report_exports').insert({
    id: '11111111-2222-4333-8444-555555555555',
    kind: 'audit',
    params: '{}',
    generated_by: 'test',
    row_counts: '{}',
    section_digests: '{}',
    pdf_sha256: 'ab'.repeat(32),
  })
  for (let i = 0; i < 5; i++)
    await writeAccessLog(db, {
      userId: guardian.id,
      actor: guardian.email,
      action: 'page_view',
      target: `/x/${i}`,
      practiceId: practice.id,
    })
  return { t, db, practice, other, source, recipient, disclosure, finding: Number(finding.id), guardian }
}

const env = (url: string, extra: Record<string, string> = {}) => ({
  DATABASE_URL: url,
  PSEUDONYM_KEY: TEST_PSEUDONYM_KEY,
  SIGNING_KEY: TEST_SIGNING_KEY,
  ...extra,
})

/** As a superuser with every trigger off: what the append-only triggers cannot stop. */
async function tamper(db: Db, fn: (trx: Db) => Promise<unknown>) {
  await db.transaction(async (trx) => {
    await trx.raw('SET LOCAL session_replication_role = replica')
    await fn(trx)
  })
}

const verify = (url: string, ...args: string[]) => runLedger(['integrity', 'verify', ...args], env(url))

describe('the tamper-evident ledger', () => {
  it('chains every kept record, keeps corrected versions, and verifies an untouched database (exit 0)', async () => {
    const { t, db } = await seeded()
    const tables = (await db('ledger_entries').distinct('table_name').pluck('table_name')).sort()
    expect(tables).toEqual(
      [
        'access_log',
        'agreement_practices',
        'agreement_purposes',
        'data_sharing_agreements',
        'disclosures',
        'finding_events',
        'override_events',
        'override_reviews',
        'patient_choices',
        'report_exports',
      ].sort(),
    )
    // The correction of d2 is a second entry; the version it replaced is kept.
    const d2 = await db('disclosures').where({ source_record_id: 'd2' }).first('id')
    expect(
      await db('ledger_entries')
        .where({ table_name: 'disclosures', row_key: String(d2.id) })
        .orderBy('seq')
        .pluck('op'),
    ).toEqual(['insert', 'update'])
    const kept = await db('ledger_versions')
      .where({ table_name: 'disclosures', row_key: String(d2.id) })
      .first('row_data')
    expect(kept.row_data.source_version).toBe('1')
    // Sequence numbers without gaps, per chain.
    const { rows } = await db.raw('SELECT chain_key, count(*)::int AS n, max(seq)::int AS top FROM ledger_entries GROUP BY 1')
    for (const r of rows) expect(r.n).toBe(r.top)

    const run = await verify(t.url)
    expect(run.code, run.stderr + run.stdout).toBe(0)
    expect(run.stdout).toMatch(/Intact: 3 chain\(s\)/)
    expect(run.stderr).toMatch(/verifying chains/)
  })

  it('(a) names a disclosure whose field was changed', async () => {
    const { t, db } = await seeded()
    const d = await db('disclosures').where({ source_record_id: 'd3' }).first('id')
    await tamper(db, (trx) => trx('disclosures').where({ id: d.id }).update({ purpose: 'research' }))
    const run = await verify(t.url)
    expect(run.code).toBe(1)
    expect(run.stdout).toContain(`CHANGED: disclosures row ${d.id} was changed`)
    expect(run.stderr).toMatch(/NOT INTACT: 1 problem/)
  })

  it('(b) names a deleted access-log row', async () => {
    const { t, db } = await seeded()
    const row = await db('access_log').where({ target: '/x/2' }).first('id')
    await tamper(db, (trx) => trx('access_log').where({ id: row.id }).delete())
    const run = await verify(t.url)
    expect(run.code).toBe(1)
    expect(run.stdout).toContain(`DELETED: access_log row ${row.id} was deleted`)
  })

  it('(c) names a forged review inserted behind the ledger', async () => {
    const { t, db, guardian } = await seeded()
    const event = await db('override_events').first('id')
    const latest = await db('override_reviews').first('id')
    const [forged] = await tamper(db, async (trx) => {
      await trx('override_reviews').insert({
        override_event_id: event.id,
        reviewer_id: guardian.id,
        verdict: 'not_justified',
        reasons: 'forged',
        supersedes_id: latest.id,
      })
    }).then(() => db('override_reviews').where({ reasons: 'forged' }).select('id'))
    const run = await verify(t.url)
    expect(run.code).toBe(1)
    expect(run.stdout).toContain(`INSERTED: override_reviews row ${forged.id} was inserted behind the ledger's back`)
  })

  it('(d) names two finding events swapped', async () => {
    const { t, db, finding } = await seeded()
    const [e1, e2] = await db('finding_events').where({ finding_id: finding }).orderBy('id').limit(2)
    // In SQL, not through JavaScript: a Date would round the microseconds and change the rows.
    await tamper(db, (trx) =>
      trx.raw(
        `UPDATE finding_events f SET finding_id = o.finding_id, from_status = o.from_status, to_status = o.to_status,
                reason = o.reason, by_user_id = o.by_user_id, at = o.at
           FROM finding_events o WHERE (f.id, o.id) IN ((?, ?), (?, ?))`,
        [e1.id, e2.id, e2.id, e1.id],
      ),
    )
    const run = await verify(t.url)
    expect(run.code).toBe(1)
    expect(run.stdout).toContain(`REORDERED: finding_events row ${e1.id} now holds what the ledger recorded for row ${e2.id}`)
    expect(run.stdout).toContain(`REORDERED: finding_events row ${e2.id} now holds what the ledger recorded for row ${e1.id}`)
  })

  it('(e) names what an older copy of a table, restored, lost and changed back', async () => {
    const { t, db, practice, source, disclosure } = await seeded()
    // An old copy of the disclosures, taken before a correction and two new records.
    await db.raw('CREATE TABLE disclosures_copy AS SELECT * FROM disclosures')
    await upsertDisclosures(db, [
      disclosure(practice, source, 'd4', '2'),
      disclosure(practice, source, 'd6'),
      disclosure(practice, source, 'd7'),
    ])
    const d4 = await db('disclosures').where({ source_record_id: 'd4' }).first('id')
    const newer = await db('disclosures').whereIn('source_record_id', ['d6', 'd7']).orderBy('id').pluck('id')
    await tamper(db, async (trx) => {
      await trx.raw('DELETE FROM disclosures')
      await trx.raw('INSERT INTO disclosures SELECT * FROM disclosures_copy')
    })
    const run = await verify(t.url)
    expect(run.code).toBe(1)
    expect(run.stdout).toContain(`RESTORED: disclosures row ${d4.id} was changed back to an older version`)
    for (const id of newer) expect(run.stdout).toContain(`DELETED: disclosures row ${id} was deleted`)
  })

  it('names a ledger entry removed from the middle of a chain, and one rewritten', async () => {
    const { t, db, practice } = await seeded()
    await tamper(db, (trx) => trx('ledger_entries').where({ chain_key: practice.id, seq: 3 }).delete())
    const run = await verify(t.url)
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(new RegExp(`BROKEN: chain ${practice.id}: entry 3 is missing from the ledger`))
    // An entry rewritten to match a changed row, without recomputing the chain after it.
    const entry = await db('ledger_entries').where({ chain_key: practice.id, seq: 2 }).first('row_key')
    await tamper(db, async (trx) => {
      await trx('disclosures')
        .where({ id: Number(entry.row_key) })
        .update({ purpose: 'research' })
      await trx.raw(
        `UPDATE ledger_entries l SET row_hash = sha256(convert_to((jsonb_strip_nulls(to_jsonb(d)) - '{id}'::text[])::text, 'UTF8'))
           FROM disclosures d WHERE d.id = ? AND l.chain_key = ? AND l.seq = 2`,
        [Number(entry.row_key), practice.id],
      )
    })
    const rewritten = await verify(t.url)
    expect(rewritten.code).toBe(1)
    expect(rewritten.stdout).toContain(`BROKEN: chain ${practice.id} entry 2 (disclosures row ${entry.row_key}) was altered`)
  })

  it('signs checkpoints, checks them, and refuses one whose signature is wrong', async () => {
    const { t, db, practice, source, disclosure } = await seeded()
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-cp-'))
    const file = path.join(dir, 'cp.json')
    const made = await runLedger(['integrity', 'checkpoint', '--out', file], env(t.url))
    expect(made.code, made.stderr).toBe(0)
    const cp = JSON.parse(fs.readFileSync(file, 'utf8'))
    expect(cp.chains.map((c: { practice: string | null }) => c.practice)).toEqual([null, 'A81001', 'B82002'])
    expect(await db('ledger_checkpoints').count('* as n').first()).toEqual({ n: 1 })

    // More writes after the checkpoint: the chains still contain its heads.
    await upsertDisclosures(db, [disclosure(practice, source, 'd9')])
    const ok = await verify(t.url, '--checkpoint', file)
    expect(ok.code, ok.stdout + ok.stderr).toBe(0)
    expect(ok.stdout).toMatch(/signature valid/)

    // The public key printed by `keys public` verifies it offline as well.
    const pub = await runLedger(['keys', 'public'], env(t.url))
    expect(pub.stdout).toMatch(/BEGIN PUBLIC KEY/)
    fs.writeFileSync(path.join(dir, 'pub.pem'), pub.stdout)
    expect((await verify(t.url, '--checkpoint', file, '--public-key', path.join(dir, 'pub.pem'))).code).toBe(0)

    // A head altered in the file: the signature no longer verifies and the checkpoint is refused.
    const forged = { ...cp, chains: cp.chains.map((c: { seq: number }, i: number) => (i === 1 ? { ...c, seq: c.seq - 1 } : c)) }
    fs.writeFileSync(path.join(dir, 'forged.json'), JSON.stringify(forged))
    const refused = await verify(t.url, '--checkpoint', path.join(dir, 'forged.json'))
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/checkpoint is refused: its signature does not verify/)
    // Signed by another key.
    const otherKey = await runLedger(['integrity', 'verify', '--checkpoint', file], env(t.url, { SIGNING_KEY: 'ab'.repeat(32) }))
    expect(otherKey.code).toBe(1)
    expect(otherKey.stderr).toMatch(/refused/)

    // The chain cut back to before the checkpoint, head record and all (an older ledger
    // restored): consistent in itself, only the checkpoint can tell.
    const lastBefore = cp.chains.find((c: { chain: number }) => c.chain === practice.id)
    await tamper(db, async (trx) => {
      await trx('ledger_entries').where({ chain_key: practice.id }).where('seq', '>=', lastBefore.seq).delete()
      const prev = await trx('ledger_entries')
        .where({ chain_key: practice.id, seq: lastBefore.seq - 1 })
        .first('hash')
      await trx('ledger_heads')
        .where({ chain_key: practice.id })
        .update({ seq: lastBefore.seq - 1, hash: prev.hash })
    })
    const rolledBack = await verify(t.url, '--checkpoint', file)
    expect(rolledBack.code).toBe(1)
    expect(rolledBack.stdout).toMatch(
      new RegExp(`CHECKPOINT: chain ${practice.id} ends at entry ${lastBefore.seq - 1}, before the checkpoint's head ${lastBefore.seq}`),
    )
  })

  it('verifies one practice with --practice, through the same function the scheduler calls', async () => {
    const { t, db, practice, other } = await seeded()
    const d = await db('disclosures').where({ practice_id: other.id }).first('id')
    await tamper(db, (trx) => trx('disclosures').where({ id: d.id }).update({ data_level: 'anonymised' }))
    expect((await verify(t.url, '--practice', 'A81001')).code).toBe(0)
    const bad = await verify(t.url, '--practice', 'B82002')
    expect(bad.code).toBe(1)
    expect(bad.stdout).toContain(`disclosures row ${d.id} was changed`)
    // Small pages exercise the paging of both walks.
    const r = await verifyIntegrity(db, { runBy: 'test', pageSize: 2, record: false })
    expect(r.intact).toBe(false)
    expect(r.problems.map((p) => p.kind)).toEqual(['changed'])
    expect(r.heads.find((h) => h.chain === practice.id)!.seq).toBeGreaterThan(5)
  })

  it('parallel writers on one practice never fork or break its chain', async () => {
    const { t, db, practice, source, disclosure, guardian } = await seeded()
    const writers = Array.from({ length: 8 }, (_, w) =>
      (async () => {
        for (let b = 0; b < 5; b++) {
          await upsertDisclosures(
            db,
            Array.from({ length: 40 }, (_, i) => disclosure(practice, source, `w${w}-${b}-${i}`)),
          )
          await writeAccessLog(db, { userId: guardian.id, actor: guardian.email, action: 'page_view', practiceId: practice.id })
          await db.transaction(async (trx) => {
            await upsertDisclosures(trx, [disclosure(practice, source, `w${w}-${b}-x`)])
            await writeAccessLog(trx, { userId: null, actor: 'system', action: 'collect' })
          })
        }
      })(),
    )
    await Promise.all(writers)
    const { rows } = await db.raw(
      'SELECT count(*)::int AS n, count(DISTINCT seq)::int AS d, max(seq)::int AS top FROM ledger_entries WHERE chain_key = ?',
      [practice.id],
    )
    expect(rows[0].n).toBe(rows[0].top)
    expect(rows[0].d).toBe(rows[0].n)
    const r = await verifyIntegrity(db, { runBy: 'test', record: false })
    expect(r.problems).toEqual([])
    expect(r.intact).toBe(true)
    const run = await verify(t.url)
    expect(run.code, run.stdout).toBe(0)
  })

  it('the scheduled job verifies against the newest stored checkpoint, then signs a new one', async () => {
    const { db, practice } = await seeded()
    const key = signingKeyFromSeed(parseSigningSeed(TEST_SIGNING_KEY)!)
    const lines: string[] = []
    expect(await scheduledIntegrityCheck(db, key, (l) => lines.push(l))).toMatchObject({ intact: true, checkpointId: 1 })
    // The chain cut back behind the first checkpoint: the next scheduled run notices.
    await tamper(db, async (trx) => {
      const head = await trx('ledger_heads').where({ chain_key: practice.id }).first('seq')
      await trx('ledger_entries').where({ chain_key: practice.id, seq: head.seq }).delete()
      const prev = await trx('ledger_entries')
        .where({ chain_key: practice.id, seq: head.seq - 1 })
        .first('hash')
      await trx('ledger_heads')
        .where({ chain_key: practice.id })
        .update({ seq: head.seq - 1, hash: prev.hash })
    })
    expect(await scheduledIntegrityCheck(db, key, (l) => lines.push(l))).toMatchObject({ intact: false, checkpointId: 2 })
    expect(lines.join('\n')).toMatch(/integrity check FAILED/)
    const v = await db('ledger_verifications').orderBy('id').select('intact', 'run_by')
    expect(v).toEqual([
      { intact: true, run_by: 'scheduler' },
      { intact: false, run_by: 'scheduler' },
    ])
  })
})
