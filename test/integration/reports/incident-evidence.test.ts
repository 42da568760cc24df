import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { upsertDisclosures, upsertPatientChoices, type DisclosureRecord } from '../../../db/queries/records.js'
import { setFindingStatus } from '../../../core/findings/status.js'
import { evaluateFindings } from '../../../core/findings/evaluate.js'
import { generateReport } from '../../../reports/index.js'
import { formatIsoDateTime } from '../../../core/format.js'
import { useTestDatabase } from '../../support/db.js'
import { OUTPUT_DIR, seedReportDataset, type ReportDataset } from './fixtures.js'

// Issue 15, defect 5: an incident review of a finding shows the records the finding rests on
// whatever their date (an opt-out recorded a year before the disclosure, which the ±30-day
// timeline never reaches), each with its source system and source record id; the missing
// agreement said plainly; the finding's status history with its reasons; and, where no
// override is involved, a line that says so instead of "Not reviewed".

const t = useTestDatabase()
let data: ReportDataset
let tmp: string
let disclosureId: number
const PATIENT = 'P-OLD1-OPT0-OUT1'

/** pdftotext without -layout: each cell's text in reading order, whitespace folded. */
const textOf = (file: string) => execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ')

beforeAll(async () => {
  data = await seedReportDataset(t.db, ['R50001', 'R50002'])
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-incident-evidence-'))
  const p0 = data.practices[0]!
  // the patient opted out (NDOP) on 1 March 2025, over a year before the disclosure
  await upsertPatientChoices(t.db, [
    {
      practice_id: p0.id,
      source_id: p0.sourceId,
      source_record_id: 'Consent/ndop-2025',
      source_version: '1',
      patient_pseudonym: PATIENT,
      kind: 'ndop',
      decision: 'deny',
      effective_at: '2025-03-01T10:00:00Z',
      code_system: null,
      code: null,
      status: 'active',
      run_id: null,
    },
  ])
  const research = await t.db('organisations').where({ name: 'University Research Unit' }).first('id')
  await upsertDisclosures(t.db, [
    {
      practice_id: p0.id,
      source_id: p0.sourceId,
      source_record_id: 'AuditEvent/late-research-1',
      source_version: '1',
      occurred_at: '2026-03-15T10:00:00Z',
      patient_pseudonym: PATIENT,
      recipient_id: research.id,
      purpose: 'research',
      purpose_code: null,
      legal_basis: null,
      data_level: 'identifiable',
      data_description: 'Full record extract',
      disclosed_by_role: 'GP',
      disclosed_by: 'staff-3',
      run_id: null,
    } as DisclosureRecord,
  ])
  disclosureId = Number((await t.db('disclosures').where({ source_record_id: 'AuditEvent/late-research-1' }).first('id')).id)
  await evaluateFindings(t.db)
})
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true })
})

async function finding(rule: string) {
  const f = await t
    .db('findings')
    .where({ rule_id: rule, subject_key: `disclosure:${disclosureId}` })
    .first()
  expect(f, `a ${rule} finding about disclosure ${disclosureId}`).toBeDefined()
  return f
}

async function review(findingId: number, name: string): Promise<string> {
  const file = path.join(tmp, `${name}.pdf`)
  await generateReport(
    t.db,
    {
      kind: 'incident',
      practiceIds: [data.practices[0]!.id],
      from: '2026-03-01',
      to: '2026-03-31',
      findingId,
      generatedBy: 'test:guardian',
    },
    file,
  )
  fs.copyFileSync(file, path.join(OUTPUT_DIR, `${name}.pdf`))
  return textOf(file)
}

describe('incident review of a finding: its evidence', () => {
  it('shows the opt-out a year before the disclosure, with its dates, source system and source record id, as the database holds them', async () => {
    const f = await finding('optout_disclosure')
    await setFindingStatus(t.db, f.id, 'accepted', 'Research ethics approval seen; s251 paperwork to follow.', null)
    const text = await review(f.id, 'incident-optout')
    const evidence = text.slice(text.indexOf('The evidence it rests on'), text.indexOf('Status history and reasons'))

    // every record the finding cites, compared with a direct query
    const cited = (typeof f.evidence === 'string' ? JSON.parse(f.evidence) : f.evidence) as Array<{ type: string; id: number }>
    const choice = cited.find((c) => c.type === 'patient_choice')!
    const c = await t
      .db('patient_choices as c')
      .join('sources as s', 's.id', 'c.source_id')
      .where('c.id', choice.id)
      .first('c.*', 's.name as source')
    expect(c.source_record_id).toBe('Consent/ndop-2025')
    expect(evidence).toContain(`Patient choice ${c.id}`)
    expect(evidence).toContain('National data opt-out: dissent (opted out)')
    expect(evidence).toContain(`took effect ${formatIsoDateTime(c.effective_at)}`)
    expect(evidence).toContain(`recorded ${formatIsoDateTime(c.collected_at)}`)
    expect(evidence).toContain(c.source)
    expect(evidence).toContain(c.source_record_id)
    const d = await t
      .db('disclosures as d')
      .join('sources as s', 's.id', 'd.source_id')
      .where('d.id', disclosureId)
      .first('d.*', 's.name as source')
    expect(evidence).toContain(`Disclosure ${d.id}`)
    expect(evidence).toContain(`occurred ${formatIsoDateTime(d.occurred_at)}`)
    expect(evidence).toContain(d.source_record_id)
    expect(evidence).toContain(PATIENT)
    // the ±30-day timeline does not reach the opt-out: only the evidence shows it
    const timeline = text.slice(text.indexOf('Timeline,'), text.indexOf('Organisations involved'))
    expect(timeline).not.toContain('National data opt-out')

    // the status history with its reason; no override involved, said plainly
    expect(text).toContain('Research ethics approval seen; s251 paperwork to follow.')
    expect(text).toContain('Accepted: Research ethics approval seen') // the current status, with its reason
    expect(text).toMatch(/Open to Accepted the system Research ethics approval seen/)
    expect(text).toContain('No override is involved in this finding')
    expect(text).not.toContain('Not reviewed')
  })

  it('says when no agreement with the recipient exists at all', async () => {
    const f = await finding('no_agreement')
    const text = await review(f.id, 'incident-no-agreement')
    const evidence = text.slice(text.indexOf('The evidence it rests on'), text.indexOf('Status history and reasons'))
    const agreements = await t
      .db('data_sharing_agreements as a')
      .join('organisations as o', 'o.id', 'a.recipient_id')
      .where('o.name', 'University Research Unit')
      .count({ n: '*' })
      .first()
    expect(Number(agreements!.n)).toBe(0)
    expect(evidence).toContain('None: no data sharing agreement with University Research Unit is recorded')
    expect(text).toMatch(/New to Open .{0,40}Found by rule no_agreement/)
  })

  it('an override finding shows its review due date and timeliness', async () => {
    // the fixture's override (10 March 2026, reviewed 12 March): due 7 days after
    const text = textOf(
      await (async () => {
        const file = path.join(tmp, 'event.pdf')
        await generateReport(
          t.db,
          {
            kind: 'incident',
            practiceIds: [data.practices[0]!.id],
            from: '2026-03-01',
            to: '2026-03-31',
            eventId: data.overrideId,
            generatedBy: 'test:guardian',
          },
          file,
        )
        fs.copyFileSync(file, path.join(OUTPUT_DIR, 'incident-event.pdf'))
        return file
      })(),
    )
    const e = await t.db('override_events').where('id', data.overrideId).first()
    expect(text).toContain(`${formatIsoDateTime(new Date(new Date(e.occurred_at).getTime() + 7 * 86_400_000))} (7 days after the event)`)
    expect(text).toContain('Review due')
    expect(text).toContain('Dr Ada Guardian (Caldicott guardian)')
    expect(text).toContain('Reviewed on time')
    expect(text).toContain('current')
    expect(text).not.toContain('No override is involved')
  })
})
