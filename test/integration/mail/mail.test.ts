import type { ParsedMail } from 'mailparser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig, ConfigError, type Config } from '../../../config/env.js'
import { assertNoPatientIdentifiers, PatientDataInMailError } from '../../../core/mail/transport.js'
import { ensureOrganisation } from '../../../db/queries/organisations.js'
import { ensurePractice } from '../../../db/queries/practices.js'
import { upsertOverrideEvents } from '../../../db/queries/records.js'
import { addSource } from '../../../db/queries/sources.js'
import { createUser } from '../../../db/queries/users.js'
import { runMailJob } from '../../../jobs/mail.js'
import { scheduledJobs } from '../../../jobs/scheduler.js'
import type { RunnerDeps } from '../../../jobs/runner.js'
import { testConfig } from '../../support/config.js'
import { useTestDatabase } from '../../support/db.js'
import { runLedger } from '../../support/processes.js'
import { startTestSmtp, type TestSmtp } from '../../support/smtp.js'
import { TEST_PSEUDONYM_KEY } from '../../support/test-env.js'

const t = useTestDatabase()
const PUBLIC_URL = 'https://ledger.example.nhs.uk'
const DAY = 86_400_000
const daysAgo = (n: number) => new Date(Date.now() - n * DAY)
// The patient identifiers planted in the data below; no mail may carry either shape.
const PSEUDONYM = /P-[A-Z0-9]{4}-[A-Z0-9]{2}/i
const NHS_NUMBER = '9434765919'

let smtp: TestSmtp
const users: Record<string, { id: number; email: string }> = {}
const ids: Record<string, number> = {}

function mailConfig(): Config {
  const config = testConfig(t.url)
  return { ...config, publicUrl: PUBLIC_URL, mail: { smtpUrl: smtp.url, from: 'Sharing Ledger <ledger@example.nhs.uk>' } }
}
const deps = (): RunnerDeps => ({ db: t.db, target: { kind: 'postgres', url: t.url }, config: mailConfig(), log: () => {} })

const to = (m: ParsedMail) => (Array.isArray(m.to) ? m.to : [m.to]).flatMap((a) => a?.value.map((v) => v.address) ?? [])
const received = (from: number) => smtp.messages.slice(from)
function expectNoPatient(mails: ParsedMail[]) {
  for (const m of mails) {
    for (const part of [m.subject ?? '', m.text ?? '', typeof m.html === 'string' ? m.html : '']) {
      expect(part).not.toMatch(PSEUDONYM)
      expect(part.replace(/\s/g, '')).not.toContain(NHS_NUMBER)
    }
  }
}

async function user(key: string, role: 'caldicott_guardian' | 'practice_manager' | 'auditor' | 'admin', practiceIds: number[]) {
  const email = `${key}@example.nhs.uk`
  const u = await createUser(t.db, { email, password: 'correct horse battery staple', role, practiceIds, displayName: `Test ${key}` })
  users[key] = { id: u.id, email }
}

async function highFinding(practiceId: number, key: string, days: number): Promise<number> {
  const [row] = await t
    .db('findings')
    .insert({
      rule_id: 'optout_disclosure',
      severity: 'high',
      status: 'open',
      practice_id: practiceId,
      subject_key: key,
      summary: `Disclosure of P-7KQ2-M9XD-4TZA (NHS ${NHS_NUMBER}) despite an opt-out`,
      opened_at: daysAgo(days),
    })
    .returning('id')
  return Number(row.id)
}

/**
 * Practice A: a new high finding, an overdue override review, a silent source and a failed run.
 * Practice B: a new high finding. Practice C: nothing. Every finding's summary and every override
 * event carries a pseudonym (and the summary an NHS number): none may reach a mail.
 */
beforeAll(async () => {
  smtp = await startTestSmtp()
  const a = await ensurePractice(t.db, { odsCode: 'A81001', name: 'Riverside Surgery' })
  const b = await ensurePractice(t.db, { odsCode: 'B82002', name: 'Hillside Practice' })
  const c = await ensurePractice(t.db, { odsCode: 'C83003', name: 'Quiet Lane Surgery' })
  await user('guardian-a', 'caldicott_guardian', [a.id])
  await user('guardian-a2', 'caldicott_guardian', [a.id])
  await user('manager-a', 'practice_manager', [a.id])
  await user('auditor-a', 'auditor', [a.id])
  await user('admin', 'admin', [])
  await user('guardian-b', 'caldicott_guardian', [b.id])
  await user('guardian-c', 'caldicott_guardian', [c.id])
  await user('disabled-a', 'caldicott_guardian', [a.id])
  await t.db('users').where({ id: users['disabled-a']!.id }).update({ disabled_at: new Date() })

  const source = await addSource(t.db, {
    practiceId: a.id,
    kind: 'fhir',
    name: 'Riverside FHIR',
    baseUrl: 'http://127.0.0.1:1/fhir',
    expectedIntervalMinutes: 60,
  })
  await t
    .db('sources')
    .where({ id: source.id })
    .update({ created_at: daysAgo(2) })
  await t.db('job_runs').insert({
    job_name: 'collect',
    source_id: source.id,
    trigger: 'schedule',
    status: 'failed',
    started_at: daysAgo(1),
    finished_at: daysAgo(1),
    error: 'connection refused',
  })
  ids.findingA = await highFinding(a.id, 'a-new', 1)
  await highFinding(a.id, 'a-old', 10) // not new: never mailed
  ids.findingB = await highFinding(b.id, 'b-new', 1)
  const hospital = await ensureOrganisation(t.db, { odsCode: 'RX1', name: 'County Hospital', recipientType: 'nhs_trust' })
  await upsertOverrideEvents(t.db, [
    {
      practice_id: a.id,
      source_id: source.id,
      source_record_id: 'a-overdue',
      source_version: '1',
      occurred_at: daysAgo(10).toISOString(),
      patient_pseudonym: 'P-7KQ2-M9XD-4TZA',
      kind: 'break_glass',
      reason_code: 'OVRER',
      purpose_code: 'ETREAT',
      legal_basis: 'vital_interests',
      actor_role: 'GP',
      actor: 'dr.jones',
      recipient_id: hospital,
      description: 'Opened the shared record in A&E',
      run_id: null,
    },
  ])
})

afterAll(async () => {
  await smtp?.close()
})

describe('configuration', () => {
  it('keeps mail off without SMTP_URL, and names what is missing in one sentence', () => {
    const base = { DATABASE_URL: 'postgres://x/y', PSEUDONYM_KEY: TEST_PSEUDONYM_KEY, NODE_ENV: 'test' as const }
    expect(loadConfig(base).mail).toBeNull()
    expect(() => loadConfig({ ...base, SMTP_URL: 'smtp://mail.example.nhs.uk' })).toThrow(
      /^Configuration error: MAIL_FROM must be set when SMTP_URL is set .*\.$/,
    )
    expect(() => loadConfig({ ...base, SMTP_URL: 'smtp://mail.example.nhs.uk', MAIL_FROM: 'ledger@example.nhs.uk' })).toThrow(
      /^Configuration error: PUBLIC_URL must be set/,
    )
    expect(() => loadConfig({ ...base, SMTP_URL: 'http://mail.example.nhs.uk' })).toThrow(ConfigError)
    expect(() => loadConfig({ ...base, PUBLIC_URL: 'ledger.example.nhs.uk' })).toThrow(
      /PUBLIC_URL must be the http:\/\/ or https:\/\/ address/,
    )
    expect(() => loadConfig({ ...base, MAIL_DIGEST_SCHEDULE: 'daily' })).toThrow(/MAIL_DIGEST_SCHEDULE must be a cron expression/)
    const on = loadConfig({
      ...base,
      SMTP_URL: 'smtps://u:p@mail.example.nhs.uk:465',
      MAIL_FROM: 'Sharing Ledger <ledger@example.nhs.uk>',
      PUBLIC_URL: 'https://ledger.example.nhs.uk/',
    })
    expect(on.mail).toEqual({ smtpUrl: 'smtps://u:p@mail.example.nhs.uk:465', from: 'Sharing Ledger <ledger@example.nhs.uk>' })
    expect(on.publicUrl).toBe('https://ledger.example.nhs.uk')
  })

  it('schedules the mail jobs only when mail is on', () => {
    const off = scheduledJobs({ ...deps(), config: testConfig(t.url) }).map((j) => j.name)
    expect(off).not.toContain('mail-digest')
    expect(scheduledJobs(deps()).map((j) => [j.name, j.expression])).toEqual(
      expect.arrayContaining([
        ['mail-digest', '0 7 * * *'],
        ['mail-alerts', '*/10 * * * *'],
      ]),
    )
  })

  it('refuses to send anything shaped like a pseudonym or an NHS number', () => {
    expect(() => assertNoPatientIdentifiers({ subject: 'x', text: 'about P-7KQ2-M9XD-4TZA' })).toThrow(PatientDataInMailError)
    expect(() => assertNoPatientIdentifiers({ subject: 'NHS 943 476 5919', text: '' })).toThrow(PatientDataInMailError)
    expect(() => assertNoPatientIdentifiers({ subject: '3 overrides await your review', text: `${PUBLIC_URL}/overrides` })).not.toThrow()
  })
})

describe('the daily digest', () => {
  it('a dry run lists who would be mailed and sends and records nothing', async () => {
    const { summary, result } = await runMailJob(deps(), 'digest', { dryRun: true })
    expect(summary).toBeNull()
    expect(result!.mails.map((m) => [m.to, m.outcome]).sort()).toEqual(
      ['admin', 'auditor-a', 'guardian-a', 'guardian-a2', 'guardian-b', 'manager-a'].map((k) => [users[k]!.email, 'would send']).sort(),
    )
    expect(smtp.messages).toHaveLength(0)
    expect(Number((await t.db('mail_log').count('* as n').first())!.n)).toBe(0)
  })

  it('mails each user with notifications once, with counts and links by kind and no patient', async () => {
    const before = smtp.messages.length
    const { summary, result } = await runMailJob(deps(), 'digest')
    expect(summary).toMatchObject({ status: 'completed', counts: { read: 8 - 1, inserted: 6, duplicates: 0 } })
    expect(result!.failed).toBe(0)
    const mails = received(before)
    // Not the disabled user, not guardian-c (nothing at practice C).
    expect(mails.map((m) => to(m)[0]).sort()).toEqual(
      ['admin', 'auditor-a', 'guardian-a', 'guardian-a2', 'guardian-b', 'manager-a'].map((k) => users[k]!.email).sort(),
    )
    expectNoPatient(mails)
    const byUser = (k: string) => mails.find((m) => to(m)[0] === users[k]!.email)!
    const guardian = byUser('guardian-a')
    expect(guardian.from?.value).toEqual([{ name: 'Sharing Ledger', address: 'ledger@example.nhs.uk' }])
    expect(guardian.subject).toMatch(/^Sharing Ledger: 4 things need you \(\d{1,2} [A-Z][a-z]{2} \d{4}\)$/)
    expect(guardian.text).toContain(`- 1 override review is past due: ${PUBLIC_URL}/overrides`)
    expect(guardian.text).toContain(`- 1 new high-severity finding is open: ${PUBLIC_URL}/findings`)
    expect(guardian.text).toContain(`- 1 collection run failed in the last 7 days: ${PUBLIC_URL}/jobs`)
    expect(guardian.text).toContain(`- 1 source has been silent past its expected interval: ${PUBLIC_URL}/jobs`)
    expect(guardian.text).toContain(`Everything, most urgent first: ${PUBLIC_URL}/notifications`)
    expect(guardian.text).toContain('Practices concerned: Riverside Surgery (A81001).')
    // Each role only its kinds: the auditor hears of findings, the administrator of runs and sources.
    expect(byUser('auditor-a').text).toContain(`1 new high-severity finding is open: ${PUBLIC_URL}/findings`)
    expect(byUser('auditor-a').text).not.toContain('/overrides')
    expect(byUser('admin').text).not.toContain('/findings')
    expect(byUser('admin').text).toContain(`${PUBLIC_URL}/jobs`)
    expect(byUser('guardian-b').text).toContain('Hillside Practice (B82002)')
    expect(byUser('guardian-b').text).not.toContain('Riverside')
    const log = await t.db('mail_log').where({ kind: 'digest' }).select('user_id', 'key', 'sent_at', 'message_id')
    expect(log).toHaveLength(6)
    expect(log.every((r) => r.sent_at !== null && r.message_id)).toBe(true)
  })

  it('sends nothing twice on the same day, and again the next day', async () => {
    const before = smtp.messages.length
    const again = await runMailJob(deps(), 'digest')
    expect(again.summary).toMatchObject({ status: 'completed', counts: { inserted: 0, duplicates: 6 } })
    expect(received(before)).toHaveLength(0)
    const tomorrow = await runMailJob(deps(), 'digest', { now: new Date(Date.now() + DAY) })
    expect(tomorrow.result!.sent).toBe(6)
    expect(received(before)).toHaveLength(6)
    expectNoPatient(received(before))
    const runs = await t.db('job_runs').where({ job_name: 'mail-digest' }).orderBy('id').select('status', 'trigger', 'source_id')
    expect(runs).toEqual(Array(3).fill({ status: 'completed', trigger: 'manual', source_id: null }))
  })
})

describe('high-severity finding alerts', () => {
  it('mail each new high finding once to the Caldicott guardians of its practice', async () => {
    const before = smtp.messages.length
    const first = await runMailJob(deps(), 'alerts')
    expect(first.summary?.status).toBe('completed')
    const mails = received(before)
    expect(mails.map((m) => `${to(m)[0]} ${m.subject}`).sort()).toEqual(
      [
        `${users['guardian-a']!.email} Sharing Ledger: new high-severity finding at Riverside Surgery (A81001)`,
        `${users['guardian-a2']!.email} Sharing Ledger: new high-severity finding at Riverside Surgery (A81001)`,
        `${users['guardian-b']!.email} Sharing Ledger: new high-severity finding at Hillside Practice (B82002)`,
      ].sort(),
    )
    expectNoPatient(mails)
    expect(mails.find((m) => to(m)[0] === users['guardian-a']!.email)!.text).toContain(
      `Open finding ${ids.findingA}: ${PUBLIC_URL}/findings/${ids.findingA}`,
    )

    const again = await runMailJob(deps(), 'alerts')
    expect(again.result!.considered).toBe(0)
    expect(received(before)).toHaveLength(3)

    // A new finding is mailed on the next run, on its own.
    const c = await t.db('practices').where({ ods_code: 'C83003' }).first('id')
    const findingC = await highFinding(c.id, 'c-new', 0)
    await runMailJob(deps(), 'alerts')
    const later = received(before + 3)
    expect(later.map((m) => to(m)[0])).toEqual([users['guardian-c']!.email])
    expect(later[0]!.text).toContain(`${PUBLIC_URL}/findings/${findingC}`)
    expectNoPatient(later)
  })

  it('un-claims a mail the server refuses, fails the run, and sends it at the next run', async () => {
    const b = await t.db('practices').where({ ods_code: 'B82002' }).first('id')
    const findingB2 = await highFinding(b.id, 'b-second', 0)
    smtp.refuse.add(users['guardian-b']!.email)
    const before = smtp.messages.length
    const refused = await runMailJob(deps(), 'alerts')
    expect(refused.summary).toMatchObject({ status: 'failed', error: expect.stringMatching(/refused 1 of 1 mail/) })
    expect(
      await t
        .db('mail_log')
        .where({ kind: 'high_finding', key: String(findingB2) })
        .first(),
    ).toBeUndefined()
    smtp.refuse.clear()
    const retried = await runMailJob(deps(), 'alerts')
    expect(retried.summary?.status).toBe('completed')
    expect(received(before).map((m) => to(m)[0])).toEqual([users['guardian-b']!.email])
  })
})

describe('ledger mail', () => {
  it('runs the same operation from the command line, dry run first', async () => {
    const env = {
      DATABASE_URL: t.url,
      PSEUDONYM_KEY: TEST_PSEUDONYM_KEY,
      SMTP_URL: smtp.url,
      MAIL_FROM: 'ledger@example.nhs.uk',
      PUBLIC_URL,
    }
    await t.db('mail_log').where({ kind: 'digest' }).delete()
    const before = smtp.messages.length
    const dry = await runLedger(['mail', 'digest', '--dry-run'], env)
    expect(dry.code, dry.stderr).toBe(0)
    expect(dry.stdout).toContain(users['guardian-a']!.email)
    // guardian-c too now: practice C's finding is new since the first digest.
    expect(dry.stdout).toMatch(/7 would be sent \(dry run: nothing sent or recorded\)/)
    expect(received(before)).toHaveLength(0)
    const sent = await runLedger(['mail', 'digest'], env)
    expect(sent.code, sent.stderr).toBe(0)
    expect(sent.stdout).toMatch(/7 sent, 0 already sent earlier \(run \d+\)\./)
    expect(received(before)).toHaveLength(7)
    expectNoPatient(received(before))
    // Without SMTP_URL the command stops with that one sentence (exit 1).
    await expect(runMailJob({ ...deps(), config: testConfig(t.url) }, 'digest')).rejects.toThrow(/^Mail is off: set SMTP_URL/)
  }, 180_000)
})
