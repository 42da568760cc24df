import { describe, expect, it } from 'vitest'
import { action, loader } from '../../../app/routes/reports._index.js'
import { ensureOrganisation } from '../../../db/queries/organisations.js'
import { ensurePractice } from '../../../db/queries/practices.js'
import { upsertDisclosures } from '../../../db/queries/records.js'
import { addSource } from '../../../db/queries/sources.js'
import { ORIGIN, get, loadContext, post, respond, signedInUser, type TestUser } from '../../support/app.js'
import { useTestDatabase } from '../../support/db.js'

const t = useTestDatabase()

async function seed() {
  const practice = await ensurePractice(t.db, { odsCode: 'A81001', name: 'Riverside Surgery' })
  await ensurePractice(t.db, { odsCode: 'B82002', name: 'Hillside' })
  const source = await addSource(t.db, { practiceId: practice.id, kind: 'fhir', name: 'FHIR', baseUrl: 'http://127.0.0.1:1/fhir' })
  const hospital = await ensureOrganisation(t.db, { odsCode: 'RX1', name: 'County Hospital', recipientType: 'nhs_trust' })
  await upsertDisclosures(
    t.db,
    [1, 2, 3].map((n) => ({
      practice_id: practice.id, source_id: source.id, source_record_id: `ae-${n}`, source_version: '1',
      occurred_at: `2026-03-0${n}T10:00:00Z`, patient_pseudonym: `P-AAAA-BBBB-000${n}`, recipient_id: hospital,
      purpose: 'direct_care', purpose_code: 'TREAT', legal_basis: null, data_level: 'identifiable' as const,
      data_description: null, disclosed_by_role: null, disclosed_by: null, run_id: null,
    })),
  )
}

const generate = (user: TestUser, fields: Record<string, string | string[]>) =>
  respond(() => action({ request: post('/reports', user, { intent: 'generate', ...fields }), params: {}, context: loadContext(t) }))

function upload(user: TestUser, bytes: Uint8Array<ArrayBuffer>) {
  const form = new FormData()
  form.set('intent', 'verify')
  form.set('csrf', user.csrf)
  form.set('file', new Blob([bytes], { type: 'application/pdf' }), 'report.pdf')
  return new Request(`${ORIGIN}/reports`, { method: 'POST', headers: { Cookie: user.cookie, Origin: ORIGIN }, body: form })
}

describe('/reports', () => {
  it('lets an auditor download an evidence pack, recorded and access-logged, and then prove it genuine', async () => {
    await seed()
    const context = loadContext(t)
    const auditor = await signedInUser(context, 'auditor', ['A81001'])
    const response = await generate(auditor, { kind: 'audit', from: '2026-03-01', to: '2026-03-31' })
    expect(response.status).toBe(200)
    expect(response.headers.get('Content-Type')).toBe('application/pdf')
    const pdf = new Uint8Array(await response.arrayBuffer()) as Uint8Array<ArrayBuffer>
    expect(Buffer.from(pdf.slice(0, 5)).toString()).toBe('%PDF-')
    const recorded = await t.db('report_exports').first()
    expect(recorded).toMatchObject({ kind: 'audit', generated_by: auditor.email, generated_by_user_id: auditor.id })
    expect(await t.db('access_log').where({ user_id: auditor.id, action: 'report_download' }).first()).toMatchObject({ target: `report:${recorded.id}` })

    const page = await (await loader({ request: get('/reports', auditor), params: {}, context })).json()
    expect(page.allowed).toEqual(['audit'])
    expect(page.exports.map((e: { id: string }) => e.id)).toEqual([recorded.id])

    const genuine = await respond(() => action({ request: upload(auditor, pdf), params: {}, context }))
    expect(genuine.status).toBe(200)
    expect((await genuine.json()).message).toMatch(/^Genuine and unaltered: audit report/)
    const altered = pdf.slice()
    const middle = Math.floor(altered.length / 2)
    altered[middle] = altered[middle]! ^ 0x01
    const refused = await respond(() => action({ request: upload(auditor, altered), params: {}, context }))
    expect(refused.status).toBe(400)
    expect((await refused.json()).message).toMatch(/altered/)
  })

  it('keeps each report to its role and the viewer’s practices', async () => {
    const context = loadContext(t)
    const manager = await signedInUser(context, 'practice_manager', ['A81001'])
    expect((await generate(manager, { kind: 'incident', from: '2026-03-01', to: '2026-03-31', eventId: '1' })).status).toBe(403)
    expect((await generate(manager, { kind: 'commissioner', from: '2026-03-01', to: '2026-03-31', practice: 'B82002' })).status).toBe(404)
    expect((await generate(manager, { kind: 'commissioner', from: '2026-03-31', to: '2026-03-01' })).status).toBe(400)
    expect((await generate(manager, { kind: 'commissioner', from: '2026-03-01', to: '2026-03-31' }, )).status).toBe(200)
    const forged = await respond(() => action({ request: post('/reports', manager, { intent: 'generate', kind: 'audit', from: '2026-03-01', to: '2026-03-31' }, { csrf: null }), params: {}, context }))
    expect(forged.status).toBe(403)
    // The other practice's user does not see reports about A81001.
    const other = await signedInUser(context, 'auditor', ['B82002'])
    expect((await (await loader({ request: get('/reports', other), params: {}, context })).json()).exports).toEqual([])
  })
})
