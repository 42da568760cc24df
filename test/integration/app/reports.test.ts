import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import type { AppLoadContext } from '@remix-run/node'
import { action, loader } from '../../../app/routes/reports._index.js'
import { action as download } from '../../../app/routes/reports.download.js'
import { loader as downloadAgain } from '../../../app/routes/reports.$id.pdf.js'
import { ensureOrganisation } from '../../../db/queries/organisations.js'
import { ensurePractice } from '../../../db/queries/practices.js'
import { upsertDisclosures } from '../../../db/queries/records.js'
import { addSource } from '../../../db/queries/sources.js'
import { ORIGIN, get, loadContext, post, respond, signedInUser, type TestUser } from '../../support/app.js'
import { useTestDatabase } from '../../support/db.js'
import { alterPageText } from '../reports/fixtures.js'

const t = useTestDatabase()

async function seed() {
  const practice = await ensurePractice(t.db, { odsCode: 'A81001', name: 'Riverside Surgery' })
  await ensurePractice(t.db, { odsCode: 'B82002', name: 'Hillside' })
  const source = await addSource(t.db, { practiceId: practice.id, kind: 'fhir', name: 'FHIR', baseUrl: 'http://127.0.0.1:1/fhir' })
  const hospital = await ensureOrganisation(t.db, { odsCode: 'RX1', name: 'County Hospital', recipientType: 'nhs_trust' })
  await upsertDisclosures(
    t.db,
    [1, 2, 3].map((n) => ({
      practice_id: practice.id,
      source_id: source.id,
      source_record_id: `ae-${n}`,
      source_version: '1',
      occurred_at: `2026-03-0${n}T10:00:00Z`,
      patient_pseudonym: `P-AAAA-BBBB-000${n}`,
      recipient_id: hospital,
      purpose: 'direct_care',
      purpose_code: 'TREAT',
      legal_basis: null,
      data_level: 'identifiable' as const,
      data_description: null,
      disclosed_by_role: null,
      disclosed_by: null,
      run_id: null,
    })),
  )
}

/** A context whose response is "sent" (or abandoned) when the test says, as server.ts reports it. */
function deliveryContext() {
  let settle!: (sent: boolean) => void
  const sent = new Promise<boolean>((resolve) => (settle = resolve))
  const context: AppLoadContext = { ...loadContext(t), whenResponseSent: () => sent }
  return { context, settle }
}

async function generate(user: TestUser, fields: Record<string, string | string[]>, sent: boolean | null = true) {
  const d = deliveryContext()
  const response = await respond(() => download({ request: post('/reports/download', user, fields), params: {}, context: d.context }))
  const body = response.body ? new Uint8Array(await response.arrayBuffer()) : new Uint8Array()
  if (sent !== null) d.settle(sent)
  return { response, body: body as Uint8Array<ArrayBuffer> }
}

/** Waits for the delivery step that runs after the response was sent. */
async function until<T>(fn: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = await fn()
    if (v) return v
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error('timed out waiting')
}

function upload(user: TestUser, bytes: Uint8Array<ArrayBuffer>) {
  const form = new FormData()
  form.set('intent', 'verify')
  form.set('csrf', user.csrf)
  form.set('file', new Blob([bytes], { type: 'application/pdf' }), 'report.pdf')
  return new Request(`${ORIGIN}/reports`, { method: 'POST', headers: { Cookie: user.cookie, Origin: ORIGIN }, body: form })
}

describe('/reports', () => {
  it('lets an auditor download an evidence pack, recorded and access-logged once sent, then fetch it again and prove it genuine', async () => {
    await seed()
    const context = loadContext(t)
    const auditor = await signedInUser(context, 'auditor', ['A81001'])
    const { response, body: pdf } = await generate(auditor, { kind: 'audit', from: '2026-03-01', to: '2026-03-31' })
    expect(response.status).toBe(200)
    expect(response.headers.get('Content-Type')).toBe('application/pdf')
    expect(response.headers.get('Content-Disposition')).toBe('attachment; filename="evidence-pack_A81001_2026-03-01_2026-03-31.pdf"')
    expect(Buffer.from(pdf.slice(0, 5)).toString()).toBe('%PDF-')
    const recorded = await until(() => t.db('report_exports').first())
    expect(recorded).toMatchObject({ kind: 'audit', generated_by: auditor.email, generated_by_user_id: auditor.id })
    expect(recorded.pdf_sha256).toBe(crypto.createHash('sha256').update(pdf).digest('hex'))
    expect(await until(() => t.db('access_log').where({ user_id: auditor.id, action: 'report_download' }).first())).toMatchObject({
      target: `report:${recorded.id}`,
      outcome: 'ok',
    })

    const page = await (await loader({ request: get('/reports', auditor), params: {}, context })).json()
    expect(page.allowed).toEqual(['audit'])
    expect(page.exports.map((e: { id: string; sha256: string; file: string }) => [e.id, e.sha256, e.file])).toEqual([
      [recorded.id, recorded.pdf_sha256, 'kept'],
    ])

    // The kept file is the very file sent: same bytes.
    const again = deliveryContext()
    const refetched = await respond(() =>
      downloadAgain({ request: get(`/reports/${recorded.id}/pdf`, auditor), params: { id: recorded.id }, context: again.context }),
    )
    expect(refetched.status).toBe(200)
    expect(Buffer.from(await refetched.arrayBuffer()).equals(Buffer.from(pdf))).toBe(true)
    again.settle(true)
    await until(async () => (await t.db('access_log').where({ action: 'report_download' }).count({ n: '*' }).first())!.n == 2 || undefined)

    const genuine = await respond(() => action({ request: upload(auditor, pdf), params: {}, context }))
    expect(genuine.status).toBe(200)
    expect((await genuine.json()).message).toMatch(/^Genuine: audit report .*recorded in this database with the same SHA-256$/)
    // one character of page 2's text changed
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-app-reports-'))
    const file = path.join(dir, 'pack.pdf')
    fs.writeFileSync(file, Buffer.from(pdf))
    const altered = new Uint8Array(fs.readFileSync(alterPageText(file, 2)))
    fs.rmSync(dir, { recursive: true, force: true })
    const refused = await respond(() => action({ request: upload(auditor, altered), params: {}, context }))
    expect(refused.status).toBe(400)
    expect((await refused.json()).message).toMatch(/^Altered: the text of page 2 differs/)
  })

  it('records nothing, and logs the failure, when the connection closes before the file is sent', async () => {
    const context = loadContext(t)
    const auditor = await signedInUser(context, 'auditor', ['A81001'])
    const before = Number((await t.db('report_exports').count({ n: '*' }).first())!.n)
    const { response } = await generate(auditor, { kind: 'audit', from: '2026-03-01', to: '2026-03-31' }, false)
    expect(response.status).toBe(200)
    const failed = await until(() => t.db('access_log').where({ user_id: auditor.id, action: 'report_download' }).first())
    expect(failed.outcome).toBe('failed')
    expect(Number((await t.db('report_exports').count({ n: '*' }).first())!.n)).toBe(before)
  })

  it('sends a request to correct back to the form with its values, where the page names the field', async () => {
    const context = loadContext(t)
    const manager = await signedInUser(context, 'practice_manager', ['A81001'])
    const cases: Array<[Record<string, string>, string, RegExp]> = [
      [{ kind: 'commissioner', from: '2026-03-31', to: '2026-03-01' }, 'to', /on or after the first day/],
      [{ kind: 'commissioner', from: '2026-02-30', to: '2026-03-01' }, 'from', /not a real calendar date/],
      [{ kind: 'commissioner', from: '', to: '2026-03-01' }, 'from', /Enter the first day/],
      [{ kind: 'bogus', from: '2026-03-01', to: '2026-03-31' }, 'kind', /Choose which report/],
    ]
    for (const [fields, field, message] of cases) {
      const { response } = await generate(manager, fields, null)
      expect(response.status).toBe(303)
      const location = response.headers.get('Location')!
      expect(location).toMatch(/^\/reports\?/)
      const page = await (await loader({ request: get(location, manager), params: {}, context })).json()
      expect(page.form!.values).toMatchObject(fields)
      expect((page.form!.errors as Record<string, string>)[field]).toMatch(message)
    }
  })

  it('keeps each report to its role and the viewer’s practices', async () => {
    const context = loadContext(t)
    const manager = await signedInUser(context, 'practice_manager', ['A81001'])
    expect((await generate(manager, { kind: 'incident', from: '2026-03-01', to: '2026-03-31', eventId: '1' }, null)).response.status).toBe(
      403,
    )
    expect(
      (await generate(manager, { kind: 'commissioner', from: '2026-03-01', to: '2026-03-31', practice: 'B82002' }, null)).response.status,
    ).toBe(404)
    expect((await generate(manager, { kind: 'commissioner', from: '2026-03-01', to: '2026-03-31' })).response.status).toBe(200)
    const forged = await respond(() =>
      download({
        request: post('/reports/download', manager, { kind: 'audit', from: '2026-03-01', to: '2026-03-31' }, { csrf: null }),
        params: {},
        context,
      }),
    )
    expect(forged.status).toBe(403)
    // The other practice's user does not see reports about A81001, nor fetch their files.
    const other = await signedInUser(context, 'auditor', ['B82002'])
    expect((await (await loader({ request: get('/reports', other), params: {}, context })).json()).exports).toEqual([])
    const someReport = (await t.db('report_exports').first()).id
    expect(
      (
        await respond(() =>
          downloadAgain({
            request: get(`/reports/${someReport}/pdf`, other),
            params: { id: someReport },
            context: deliveryContext().context,
          }),
        )
      ).status,
    ).toBe(404)
  })
})
