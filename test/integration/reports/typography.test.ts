import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensurePractice } from '../../../db/queries/practices.js'
import { addSource } from '../../../db/queries/sources.js'
import { collect } from '../../../jobs/collect.js'
import { refreshFindings } from '../../../core/findings/refresh.js'
import { importRegisterFile } from '../../../jobs/import-register.js'
import type { RunnerDeps } from '../../../jobs/runner.js'
import { startSimulator, type RunningSimulator } from '../../../simulator/server.js'
import { generateReport, type ReportRequest } from '../../../reports/index.js'
import { testConfig } from '../../support/config.js'
import { useTestDatabase } from '../../support/db.js'
import { OUTPUT_DIR } from './fixtures.js'

// Issue 15, defect 6, on the simulator's data: every pseudonym in the evidence pack's disclosure
// log is found whole by pdftotext (with and without -layout): identifiers never wrap. A Welsh
// provider's name from the manual register ("Ysbyty Gwynedd – Tŵr Łódź") and "→ ✓" print
// exactly in every report that shows them, in the embedded font (no standard font anywhere).

const WELSH = 'Ysbyty Gwynedd – Tŵr Łódź'
const SYMBOLS = 'Discharge summary → GP ✓'
const FROM = '2026-08-01'
const TO = '2026-10-31'

const t = useTestDatabase()
let sim: RunningSimulator
let deps: RunnerDeps
let tmp: string
let practiceId: number

const pdftotext = (file: string, layout: boolean) =>
  execFileSync('pdftotext', [...(layout ? ['-layout'] : []), file, '-'], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 })

async function produce(
  name: string,
  request: Omit<ReportRequest, 'generatedBy' | 'practiceIds' | 'from' | 'to'> & Partial<ReportRequest>,
): Promise<string> {
  const file = path.join(tmp, `${name}.pdf`)
  await generateReport(
    t.db,
    { practiceIds: [practiceId], from: FROM, to: TO, generatedBy: 'test:typography', ...request } as ReportRequest,
    file,
  )
  fs.copyFileSync(file, path.join(OUTPUT_DIR, `${name}.pdf`))
  return file
}

beforeAll(async () => {
  sim = await startSimulator({ port: 0, practices: 1, seed: 1 })
  deps = { db: t.db, target: { kind: 'postgres', url: t.url }, config: testConfig(t.url) }
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-typography-'))
  const p = sim.practices[0]!
  const practice = await ensurePractice(t.db, { odsCode: p.odsCode, name: p.name })
  practiceId = practice.id
  await addSource(t.db, { practiceId: practice.id, kind: 'fhir', name: `${p.name} clinical system`, baseUrl: p.fhirBaseUrl })
  expect((await collect(deps, { all: true })).map((r) => r.status)).toEqual(['completed'])
  // the manual register, as a practice would save it from a spreadsheet (CSV UTF-8)
  const register = path.join(tmp, 'register.csv')
  fs.writeFileSync(
    register,
    'reference,disclosed_at,nhs_number,recipient_name,recipient_ods,recipient_type,purpose,legal_basis,data_level,data_description,disclosed_by,disclosed_by_role\n' +
      `REG-CY-1,2026-09-15 10:30,999 000 0018,${WELSH},W7A1X,nhs_trust,direct_care,implied_consent,identifiable,${SYMBOLS},J Jones,Practice manager\n`,
  )
  expect((await importRegisterFile(deps, register, p.odsCode)).status).toBe('completed')
  await refreshFindings(deps, { mode: 'full' })
}, 300_000)
afterAll(async () => {
  await sim?.close()
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true })
})

describe('report typography', () => {
  it('prints every pseudonym of the disclosure log whole, on one line, findable by pdftotext', async () => {
    const file = await produce('typography-audit', { kind: 'audit' })
    const pseudonyms: string[] = await t
      .db('disclosures')
      .where('practice_id', practiceId)
      .whereRaw(
        `occurred_at >= (?::date::timestamp AT TIME ZONE 'Europe/London') AND occurred_at < ((?::date + 1)::timestamp AT TIME ZONE 'Europe/London')`,
        [FROM, TO],
      )
      .distinct()
      .pluck('patient_pseudonym')
    expect(pseudonyms.length).toBeGreaterThan(300)
    expect(pseudonyms.filter((p) => /^P-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$/.test(p)).length).toBe(pseudonyms.length)
    for (const layout of [false, true]) {
      const text = pdftotext(file, layout)
      const words = new Set(text.split(/\s+/))
      const broken = pseudonyms.filter((p) => !words.has(p))
      expect(broken, `pseudonyms not found whole ${layout ? 'with' : 'without'} -layout`).toEqual([])
    }
    // codes never break either: no purpose, legal basis or recipient-type code is printed cut
    const text = pdftotext(file, false)
    expect(text).not.toMatch(/[a-z]_\n/)
    expect(text).toContain(WELSH)
    expect(pdftotext(file, true)).toContain(WELSH) // the recipients table and the log
  })

  it(`prints "${WELSH}" and "→ ✓" exactly in every report that shows them, in embedded fonts only`, async () => {
    const reg = await t.db('disclosures').where({ source_record_id: 'REG-CY-1' }).first('id')
    expect(reg).toBeDefined()
    const finding = await t
      .db('findings')
      .where({ subject_key: `disclosure:${reg.id}` })
      .first('id', 'rule_id')
    expect(finding, 'the register disclosure has a finding (no agreement with the Welsh trust)').toBeDefined()
    const files = {
      audit: await produce('typography-audit-2', { kind: 'audit' }),
      incident: await produce('typography-incident', { kind: 'incident', findingId: Number(finding.id) }),
      commissioner: await produce('typography-commissioner', { kind: 'commissioner' }),
    }
    for (const kind of ['audit', 'incident'] as const) {
      for (const layout of [false, true]) expect(pdftotext(files[kind], layout), `${kind} ${layout ? '-layout' : ''}`).toContain(WELSH)
    }
    expect(pdftotext(files.incident, false)).toContain(SYMBOLS)
    // the commissioner report shows recipient types, not names; its type label is there
    expect(pdftotext(files.commissioner, false)).toContain('NHS trust / foundation trust')
    for (const file of Object.values(files)) {
      const fonts = execFileSync('pdffonts', [file], { encoding: 'utf8' }).split('\n').slice(2).filter(Boolean)
      expect(fonts.length).toBeGreaterThan(0)
      for (const f of fonts) {
        expect(f).toMatch(/DejaVu/)
        expect(f).toMatch(/CID TrueType\s+Identity-H\s+yes yes yes/) // embedded, subset, with a ToUnicode map
      }
    }
  })
})
