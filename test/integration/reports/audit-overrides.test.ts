import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensurePractice } from '../../../db/queries/practices.js'
import { upsertOverrideEvents, type OverrideEventRecord } from '../../../db/queries/records.js'
import { addSource } from '../../../db/queries/sources.js'
import { createUser } from '../../../db/queries/users.js'
import { generateReport } from '../../../reports/index.js'
import { useTestDatabase } from '../../support/db.js'
import { pdfPages, packBody } from './fixtures.js'

// Issue 15, defect 7: overrides in the pack carry their due date and lateness, and a superseded
// review is marked as such beside the review that stands.

const t = useTestDatabase()
let tmp: string
let practiceId: number
const ev: Record<string, number> = {}
const rv: Record<string, number> = {}

async function seed() {
  practiceId = (await ensurePractice(t.db, { odsCode: 'O30001', name: 'Override Surgery' })).id
  const source = await addSource(t.db, { practiceId, kind: 'fhir', name: 'Override FHIR', baseUrl: 'http://127.0.0.1:1/o' })
  const guardian = await createUser(t.db, {
    email: 'g@override.nhs.uk',
    password: 'x'.repeat(16),
    role: 'caldicott_guardian',
    practiceIds: [practiceId],
    displayName: 'Dr Olive Guardian',
  })
  const base = (id: string, at: string, kind: OverrideEventRecord['kind'] = 'break_glass'): OverrideEventRecord => ({
    practice_id: practiceId,
    source_id: source.id,
    source_record_id: id,
    source_version: '1',
    occurred_at: at,
    patient_pseudonym: `P-OVRD-${id.toUpperCase()}`,
    kind,
    reason_code: 'OVRER',
    purpose_code: 'ETREAT',
    legal_basis: 'vital_interests',
    actor_role: 'GP',
    actor: 'dr.a',
    recipient_id: null,
    description: 'Emergency access',
    run_id: null,
  })
  await upsertOverrideEvents(t.db, [
    base('late', '2026-07-01T09:00:00Z'),
    base('ontime', '2026-07-05T09:00:00Z'),
    base('never', '2026-08-01T09:00:00Z'),
    base('stop', '2026-08-01T10:00:00Z', 'override_stopped'),
  ])
  for (const key of ['late', 'ontime', 'never', 'stop'])
    ev[key] = Number((await t.db('override_events').where({ source_record_id: key }).first('id')).id)
  const sign = async (event: number, at: string, verdict: string, reasons: string, supersedes: number | null = null) =>
    Number(
      (
        await t
          .db('override_reviews')
          .insert({ override_event_id: event, reviewer_id: guardian.id, verdict, reasons, signed_at: at, supersedes_id: supersedes })
          .returning('id')
      )[0].id,
    )
  // Due 8 July 09:00 UTC (7 days); first signed 12 July: 4 days late. Then superseded on 20 July.
  rv.first = await sign(ev.late!, '2026-07-12T09:00:00Z', 'inconclusive', 'The record does not say why the access was needed.')
  rv.second = await sign(ev.late!, '2026-07-20T09:00:00Z', 'justified', 'A&E notes show the patient was unconscious.', rv.first)
  rv.ontime = await sign(ev.ontime!, '2026-07-06T09:00:00Z', 'justified', 'Emergency; proportionate.')
}

beforeAll(async () => {
  await seed()
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-audit-overrides-'))
})
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true })
})

describe('audit evidence pack: overrides', () => {
  it('prints each review’s due date and lateness, and marks the superseded review and the one that stands', async () => {
    const file = path.join(tmp, 'q3.pdf')
    await generateReport(
      t.db,
      {
        kind: 'audit',
        practiceIds: [practiceId],
        from: '2026-07-01',
        to: '2026-09-30',
        generatedBy: 'test:auditor',
        overrideReviewDays: 7,
      },
      file,
    )
    const text = pdfPages(file).join('\n')
    const body = packBody(text)
    const part = body
      .slice(body.indexOf('5. Override events and their reviews'), body.indexOf('6. Compliance findings'))
      .replace(/\s+/g, ' ')
    expect(part).toContain('due 7 days after the event')
    // Cells wrap in the text, so each cell's first line is matched, and its due date on its own.
    expect(part).toMatch(new RegExp(`${rv.first}: superseded by ${rv.second} Inconclusive by Dr Olive`))
    expect(part).toMatch(new RegExp(`${rv.second}: current Justified by Dr Olive`))
    expect(part).toMatch(new RegExp(`${rv.ontime}: current Justified by Dr Olive`))
    expect(part).not.toContain(`${rv.first}: current`)
    const digestRows = (await t.db('report_exports').first()).row_counts
    expect(digestRows.overrides).toBe(5) // one row per review, one per event without
    expect(part).toContain('First review 4 days late')
    expect(part).toContain('2026-07-08 10:00') // due 7 days after 1 July 10:00 (BST)
    expect(part).toContain('Reviewed on time')
    expect(part).toMatch(/Overdue by \d+/) // counted to the report's time
    expect(part).toContain('2026-08-08 10:00')
    expect(part).toContain('No review needed')
    expect(part).toContain('Reviews overdue 1 Reviews signed late 1')
  })

  it('shows who signed and who countersigned each review, and when, or who declined and why (issue 16)', async () => {
    const practiceId = (await t.db('practices').first('id')).id
    const guardian = await t.db('users').where({ email: 'g@override.nhs.uk' }).first('id')
    const manager = await createUser(t.db, {
      email: 'm@override.nhs.uk',
      password: 'x'.repeat(16),
      role: 'practice_manager',
      practiceIds: [practiceId],
      displayName: 'Pat Manager',
    })
    const signWith = async (event: number, supersedes: number | null) =>
      Number(
        (
          await t
            .db('override_reviews')
            .insert({
              override_event_id: event,
              reviewer_id: guardian.id,
              verdict: 'justified',
              reasons: 'Checked again.',
              second_signer_id: manager.id,
              signed_at: '2026-08-03T09:00:00Z',
              supersedes_id: supersedes,
            })
            .returning('id')
        )[0].id,
      )
    const countersigned = await signWith(ev.ontime!, rv.ontime!)
    await t
      .db('override_countersignatures')
      .insert({ review_id: countersigned, signer_id: manager.id, decision: 'countersigned', signed_at: '2026-08-04T10:30:00Z' })
    const declined = await signWith(ev.late!, rv.second!)
    await t.db('override_countersignatures').insert({
      review_id: declined,
      signer_id: manager.id,
      decision: 'declined',
      reason: 'The notes are missing.',
      signed_at: '2026-08-04T11:00:00Z',
    })
    const awaiting = await signWith(ev.never!, null)
    const file = path.join(tmp, 'countersigned.pdf')
    await generateReport(
      t.db,
      {
        kind: 'audit',
        practiceIds: [practiceId],
        from: '2026-07-01',
        to: '2026-09-30',
        generatedBy: 'test:auditor',
        overrideReviewDays: 7,
      },
      file,
    )
    // Reading order (no -layout): each cell's words together, whatever the column widths.
    const text = packBody(execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' })).replace(/\s+/g, ' ')
    const part = text.slice(text.indexOf('5. Override events and their reviews'), text.indexOf('6. Compliance findings'))
    expect(part).toContain('at 2026-08-03 10:00; countersigned by Pat Manager at 2026-08-04 11:30')
    expect(part).toContain('at 2026-08-03 10:00; Pat Manager declined to countersign at 2026-08-04 12:00 (The notes are missing.)')
    expect(part).toContain('at 2026-08-03 10:00; awaiting countersignature by Pat Manager')
    expect([countersigned, declined, awaiting].every((id) => part.includes(`${id}: current`))).toBe(true)
  })
})
