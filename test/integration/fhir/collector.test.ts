import { readFileSync } from 'node:fs'
import { delay, http, HttpResponse } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Config } from '../../../config/env.js'
import { ensurePractice } from '../../../db/queries/practices.js'
import { addSource, getCursor, type SourceRow } from '../../../db/queries/sources.js'
import { collectSource } from '../../../jobs/collect.js'
import type { RunnerDeps } from '../../../jobs/runner.js'
import { testConfig } from '../../support/config.js'
import { useTestDatabase } from '../../support/db.js'

/** Fixtures as untyped JSON: the tests reshape them freely. */
type Json = any
type Stream = 'AuditEvent' | 'Consent'

const t = useTestDatabase()
const server = setupServer()
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => server.resetHandlers())
afterAll(() => server.close())

const fixture = (name: string): Json => JSON.parse(readFileSync(new URL(`../../fixtures/fhir/${name}.json`, import.meta.url), 'utf8'))
const NHS_NUMBERS = ['9434765900', '9434765919', '9434765927', '9434765935', '9434765943', '9434765951', '9434765978', '9434765986']
/** 2026-03-02 09:00 UTC plus some minutes, as FHIR writes it. */
const at = (minutes: number) => new Date(Date.UTC(2026, 2, 2, 9, minutes)).toISOString().replace('.000Z', 'Z')
const iso = (minutes: number) => new Date(Date.UTC(2026, 2, 2, 9, minutes)).toISOString()

function disclosure(n: number, minutes: number): Json {
  const e = fixture('auditevent-nhs-disclosure')
  e.id = `disclosure-${n}`
  e.meta = { versionId: '1', lastUpdated: at(minutes) }
  e.recorded = at(minutes)
  e.period = { start: at(minutes) }
  e.entity[0].what.identifier.value = NHS_NUMBERS[n % NHS_NUMBERS.length]
  return e
}
function breakGlass(minutes: number): Json {
  const e = fixture('auditevent-break-glass')
  e.meta = { versionId: '1', lastUpdated: at(minutes) }
  return e
}
function optOut(n: number, minutes: number): Json {
  const c = fixture('consent-type1-optout')
  c.id = `consent-${n}`
  c.meta = { versionId: '1', lastUpdated: at(minutes) }
  c.dateTime = at(minutes)
  c.patient.identifier.value = NHS_NUMBERS[n % NHS_NUMBERS.length]
  return c
}
function stamped(name: string, minutes: number): Json {
  const r = fixture(name)
  r.meta = { ...r.meta, lastUpdated: at(minutes) }
  return r
}

let sourceCount = 0
async function newSource(token: string | null = 'practice-token'): Promise<{ source: SourceRow; slug: string }> {
  const practice = await ensurePractice(t.db, { odsCode: 'A81001', name: 'Test Surgery' })
  const slug = `A81001-${++sourceCount}`
  const source = await addSource(t.db, {
    practiceId: practice.id,
    kind: 'fhir',
    name: `System ${slug}`,
    baseUrl: `http://practice.test/fhir/${slug}`,
    token,
  })
  return { source, slug }
}

const fhirJson = (body: unknown, status = 200) =>
  new HttpResponse(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/fhir+json' } })

/**
 * The practice system: a FHIR R4 server holding `data`, answering searches as a real one does
 * (_lastUpdated=ge, date=ge/le, _sort=_lastUpdated, _count with absolute next links).
 */
function practiceSystem(slug: string, data: Record<Stream, Json[]>) {
  const requests: Array<{ url: URL; authorization: string | null }> = []
  const handler = (stream: Stream) =>
    http.get(`http://practice.test/fhir/${slug}/${stream}`, ({ request }) => {
      const url = new URL(request.url)
      requests.push({ url, authorization: request.headers.get('authorization') })
      const since = url.searchParams.get('_lastUpdated')?.replace(/^ge/, '')
      const [from, to] = url.searchParams.getAll('date').map((d) => d.slice(2))
      const matches = data[stream]
        .filter((r) => !since || Date.parse(r.meta.lastUpdated) >= Date.parse(since))
        .filter((r) => {
          const day = String(stream === 'AuditEvent' ? r.recorded : r.dateTime).slice(0, 10)
          return (!from || day >= from) && (!to || day <= to)
        })
        .sort((a, b) => Date.parse(a.meta.lastUpdated) - Date.parse(b.meta.lastUpdated))
      const count = Number(url.searchParams.get('_count'))
      const offset = Number(url.searchParams.get('_offset') ?? 0)
      const link = [{ relation: 'self', url: url.href }]
      if (offset + count < matches.length) {
        const next = new URL(url)
        next.searchParams.set('_offset', String(offset + count))
        link.push({ relation: 'next', url: next.href })
      }
      return fhirJson({
        resourceType: 'Bundle',
        type: 'searchset',
        total: matches.length,
        link,
        entry: matches
          .slice(offset, offset + count)
          .map((resource) => ({ fullUrl: `${url.origin}${url.pathname}/${resource.id}`, resource, search: { mode: 'match' } })),
      })
    })
  server.use(handler('AuditEvent'), handler('Consent'))
  return {
    data,
    requests,
    of: (stream: Stream) => requests.filter((r) => r.url.pathname.endsWith(`/${stream}`)),
  }
}

/** A fault answered first (once each, in order) on a stream's searches, before the practice system's own answers. */
function faults(slug: string, stream: Stream, ...answers: Array<() => Response | Promise<Response>>) {
  for (const answer of [...answers].reverse()) server.use(http.get(`http://practice.test/fhir/${slug}/${stream}`, answer, { once: true }))
}

const deps = (http: Partial<Config['http']> = { pageSize: 2 }, signal?: AbortSignal): RunnerDeps => ({
  db: t.db,
  target: { kind: 'postgres', url: t.url },
  config: testConfig(t.url, http),
  signal,
})

describe('FHIR collector', () => {
  it('follows next links across pages with the bearer token, storing disclosures, overrides and choices', async () => {
    const { source, slug } = await newSource('tok-123')
    const system = practiceSystem(slug, {
      AuditEvent: [1, 2, 3, 4, 5].map((n) => disclosure(n, n)).concat(breakGlass(6), stamped('auditevent-clinician-read', 7)),
      Consent: [optOut(1, 1), stamped('consent-example-Out', 2)],
    })
    const result = await collectSource(deps(), source)
    expect(result).toMatchObject({ status: 'completed', error: null })
    expect(result.counts).toEqual({ read: 9, inserted: 8, updated: 0, duplicates: 0, quarantined: 0 })

    expect(system.of('AuditEvent')).toHaveLength(4) // 7 events, 2 a page
    expect(system.of('Consent')).toHaveLength(1)
    expect(new Set(system.requests.map((r) => r.authorization))).toEqual(new Set(['Bearer tok-123']))
    const first = system.of('AuditEvent')[0]!.url.searchParams
    expect(first.get('_lastUpdated')).toBeNull()
    expect([first.get('_sort'), first.get('_count')]).toEqual(['_lastUpdated', '2'])

    expect(await t.db('disclosures').where({ source_id: source.id }).orderBy('source_record_id').pluck('source_record_id')).toEqual(
      [1, 2, 3, 4, 5].map((n) => `disclosure-${n}`),
    )
    expect(await t.db('disclosures').where({ source_id: source.id, source_record_id: 'disclosure-1' }).first()).toMatchObject({
      purpose: 'direct_care',
      legal_basis: 'implied_consent',
      run_id: result.runId,
      occurred_at: new Date(iso(1)),
    })
    expect(await t.db('organisations').where({ ods_code: 'RR8' }).first()).toMatchObject({ recipient_type: 'nhs_trust' })
    expect(await t.db('override_events').where({ source_id: source.id }).select('kind', 'purpose_code')).toEqual([
      { kind: 'break_glass', purpose_code: 'BTG' },
    ])
    expect(await t.db('patient_choices').where({ source_id: source.id }).orderBy('kind').select('kind', 'decision')).toEqual([
      { kind: 'record_sharing', decision: 'deny' },
      { kind: 'type1', decision: 'deny' },
    ])
    expect(await getCursor(t.db, source.id, 'AuditEvent')).toBe(iso(7))
    expect(await getCursor(t.db, source.id, 'Consent')).toBe(iso(2))
  })

  it('loads the HL7 R4 and IHE BALP examples as published', async () => {
    const { source, slug } = await newSource()
    practiceSystem(slug, {
      AuditEvent: [
        'auditevent-example-disclosure',
        'auditevent-balp-privacy-disclosure-source',
        'auditevent-balp-privacy-disclosure-recipient',
      ].map((name, i) => stamped(name, i)),
      Consent: ['consent-example-Out', 'consent-example-notOrg', 'consent-example-Emergency'].map((name, i) => stamped(name, i)),
    })
    const result = await collectSource(deps(), source)
    expect(result.counts).toEqual({ read: 6, inserted: 6, updated: 0, duplicates: 0, quarantined: 0 })
    expect(await t.db('disclosures').where({ source_id: source.id }).orderBy('purpose').pluck('purpose')).toEqual([
      'marketing',
      'subject_access',
      'subject_access',
    ])
    expect(await t.db('patient_choices').where({ source_id: source.id }).pluck('decision')).toEqual(['deny', 'deny', 'deny'])
  })

  it('commits a page with its cursor or not at all', async () => {
    const { source, slug } = await newSource()
    practiceSystem(slug, { AuditEvent: [disclosure(1, 1), breakGlass(2)], Consent: [] })
    // A database fault in the middle of the page's writes: the disclosure is written, then the override fails.
    await t.db.raw(`ALTER TABLE override_events ADD CONSTRAINT reject_for_test CHECK (kind <> 'break_glass') NOT VALID`)
    try {
      const failed = await collectSource(deps({ pageSize: 50 }), source)
      expect(failed).toMatchObject({ status: 'failed', counts: { read: 0, inserted: 0 } })
      expect(failed.error).toMatch(/reject_for_test/)
    } finally {
      await t.db.raw(`ALTER TABLE override_events DROP CONSTRAINT reject_for_test`)
    }
    expect(await t.db('disclosures').where({ source_id: source.id })).toEqual([])
    expect(await getCursor(t.db, source.id, 'AuditEvent')).toBeUndefined()
    expect(await collectSource(deps({ pageSize: 50 }), source)).toMatchObject({ status: 'completed', counts: { read: 2, inserted: 2 } })
  })

  it('gathers pages into batches, and a batch that fails to commit keeps the batches before it and their cursor', async () => {
    const { source, slug } = await newSource()
    practiceSystem(slug, { AuditEvent: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => disclosure(n, n)), Consent: [] })
    // Pages of 2, batches of 4 pages: records 1-8 commit together, then 9-10, which the database refuses.
    await t.db.raw(`ALTER TABLE disclosures ADD CONSTRAINT reject_for_test CHECK (source_record_id <> 'disclosure-9') NOT VALID`)
    try {
      const batches: number[] = []
      const failed = await collectSource({ ...deps({ pageSize: 2 }), onBatch: (_run, totals) => batches.push(totals.read) }, source)
      expect(failed).toMatchObject({ status: 'failed', counts: { read: 8, inserted: 8 } })
      expect(batches).toEqual([8]) // one transaction for the first four pages
      expect(failed.error).toMatch(/reject_for_test/)
    } finally {
      await t.db.raw(`ALTER TABLE disclosures DROP CONSTRAINT reject_for_test`)
    }
    expect(await getCursor(t.db, source.id, 'AuditEvent')).toBe(iso(8))
    const resumed = await collectSource(deps({ pageSize: 2 }), source)
    expect(resumed).toMatchObject({ status: 'completed', counts: { read: 3, inserted: 2, duplicates: 1 } })
    expect(await t.db('disclosures').where({ source_id: source.id }).count('* as n').first()).toEqual({ n: 10 })
  })

  it('resumes from the cursor: a re-run reads only from there and inserts nothing, a new record is picked up', async () => {
    const { source, slug } = await newSource()
    const system = practiceSystem(slug, { AuditEvent: [1, 2, 3, 4, 5].map((n) => disclosure(n, n)), Consent: [optOut(1, 1), optOut(2, 2)] })
    expect((await collectSource(deps(), source)).counts).toMatchObject({ read: 7, inserted: 7 })
    system.requests.length = 0

    const again = await collectSource(deps(), source)
    // Only the records at the cursor's instant are read again (ge, not gt), and they are duplicates.
    expect(again.counts).toEqual({ read: 2, inserted: 0, updated: 0, duplicates: 2, quarantined: 0 })
    expect(system.of('AuditEvent')[0]!.url.searchParams.get('_lastUpdated')).toBe(`ge${iso(5)}`)
    expect(system.of('Consent')[0]!.url.searchParams.get('_lastUpdated')).toBe(`ge${iso(2)}`)

    system.data.AuditEvent.push(disclosure(6, 30))
    expect((await collectSource(deps(), source)).counts).toEqual({ read: 3, inserted: 1, updated: 0, duplicates: 2, quarantined: 0 })
    expect(await t.db('disclosures').where({ source_id: source.id }).count('* as n').first()).toEqual({ n: 6 })
    expect(await getCursor(t.db, source.id, 'AuditEvent')).toBe(iso(30))
  })

  it('counts a corrected record (new meta.versionId) as updated and stores the correction', async () => {
    const { source, slug } = await newSource()
    const system = practiceSystem(slug, { AuditEvent: [1, 2, 3].map((n) => disclosure(n, n)), Consent: [] })
    await collectSource(deps(), source)

    const corrected = disclosure(2, 20)
    corrected.meta.versionId = '2'
    corrected.purposeOfEvent[0].coding = [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'HRESCH' }]
    system.data.AuditEvent[1] = corrected
    const result = await collectSource(deps(), source)
    expect(result.counts).toEqual({ read: 2, inserted: 0, updated: 1, duplicates: 1, quarantined: 0 })
    expect(await t.db('disclosures').where({ source_id: source.id, source_record_id: 'disclosure-2' }).first()).toMatchObject({
      purpose: 'research',
      purpose_code: 'HRESCH',
      source_version: '2',
      run_id: result.runId,
    })
    expect(await t.db('disclosures').where({ source_id: source.id }).count('* as n').first()).toEqual({ n: 3 })
  })

  it('quarantines bad records with their reasons while the batch goes on, and resolves them once they load', async () => {
    const { source, slug } = await newSource()
    const unknownPurpose = disclosure(2, 2)
    unknownPurpose.purposeOfEvent[0].coding = [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'XYZ' }]
    const badNumber = disclosure(3, 3)
    badNumber.entity[0].what.identifier.value = '9434765918'
    const system = practiceSystem(slug, {
      AuditEvent: [disclosure(1, 1), unknownPurpose, badNumber, stamped('auditevent-r5', 4), disclosure(5, 5)],
      Consent: [stamped('consent-r5', 1), optOut(1, 2)],
    })
    const result = await collectSource(deps(), source)
    expect(result).toMatchObject({ status: 'completed' })
    expect(result.counts).toEqual({ read: 7, inserted: 3, updated: 0, duplicates: 0, quarantined: 4 })
    const quarantined = await t.db('quarantine').where({ source_id: source.id }).orderBy('record_key')
    expect(quarantined.map((q) => [q.record_key, q.resource_type, q.reason, q.status, q.first_run_id])).toEqual([
      [
        'consent-example-Out-r5',
        'Consent',
        expect.stringMatching(/^resource looks like FHIR R5 \(Consent\.decision/),
        'pending',
        result.runId,
      ],
      [
        'disclosure-2',
        'AuditEvent',
        'AuditEvent has no purposeOfEvent code that maps to a known purpose (got v3-ActReason#XYZ)',
        'pending',
        result.runId,
      ],
      ['disclosure-3', 'AuditEvent', 'patient NHS number ending 918 fails the modulus-11 check', 'pending', result.runId],
      [
        'example-disclosure-r5',
        'AuditEvent',
        expect.stringMatching(/^resource looks like FHIR R5 \(AuditEvent\.category/),
        'pending',
        result.runId,
      ],
    ])
    expect(quarantined.find((q) => q.record_key === 'disclosure-2').payload).toEqual(unknownPurpose)
    expect(await getCursor(t.db, source.id, 'AuditEvent')).toBe(iso(5))

    // The practice fixes the purpose code; the corrected record loads and its quarantine entry is resolved.
    const fixed = disclosure(2, 40)
    fixed.meta.versionId = '2'
    system.data.AuditEvent[1] = fixed
    const rerun = await collectSource(deps(), source)
    expect(rerun.counts).toMatchObject({ inserted: 1, quarantined: 0 })
    expect(await t.db('quarantine').where({ source_id: source.id, record_key: 'disclosure-2' }).first()).toMatchObject({
      status: 'resolved',
      resolution: `loaded in run ${rerun.runId}`,
    })
  })

  it('backfills a date range without reading or moving the cursor', async () => {
    const { source, slug } = await newSource()
    const late = disclosure(9, 0)
    late.recorded = '2026-03-05T10:00:00Z'
    const system = practiceSystem(slug, { AuditEvent: [disclosure(1, 1), disclosure(2, 2), late], Consent: [optOut(1, 3)] })

    const backfill = await collectSource(deps(), source, { backfill: { from: '2026-03-01', to: '2026-03-02' } })
    expect(backfill.counts).toMatchObject({ read: 3, inserted: 3 })
    expect(system.of('AuditEvent')[0]!.url.searchParams.getAll('date')).toEqual(['ge2026-03-01', 'le2026-03-02'])
    expect(system.of('Consent')[0]!.url.searchParams.getAll('date')).toEqual(['ge2026-03-01', 'le2026-03-02'])
    expect(system.requests.some((r) => r.url.searchParams.has('_lastUpdated'))).toBe(false)
    expect(await t.db('source_cursors').where({ source_id: source.id })).toEqual([])
    expect(await t.db('job_runs').where({ id: backfill.runId }).first()).toMatchObject({ trigger: 'backfill' })

    const normal = await collectSource(deps(), source)
    expect(normal.counts).toMatchObject({ read: 4, inserted: 1, duplicates: 3 })
    const cursor = await getCursor(t.db, source.id, 'AuditEvent')
    expect(cursor).toBe(iso(2))

    // Re-collecting the same range again is idempotent: all duplicates, no new rows, cursor untouched.
    system.requests.length = 0
    const again = await collectSource(deps(), source, { backfill: { from: '2026-03-01', to: '2026-03-05' } })
    expect(again.counts).toEqual({ read: 4, inserted: 0, updated: 0, duplicates: 4, quarantined: 0 })
    expect(await t.db('disclosures').where({ source_id: source.id }).count('* as n').first()).toEqual({ n: 3 })
    expect(await getCursor(t.db, source.id, 'AuditEvent')).toBe(cursor)
  })

  it('never stores an NHS number or a patient name outside the quarantined payload', async () => {
    const { source, slug } = await newSource()
    const badNumber = disclosure(3, 3)
    badNumber.entity[0].what.identifier.value = '9434765918'
    practiceSystem(slug, {
      AuditEvent: [disclosure(1, 1), disclosure(2, 2), badNumber, stamped('auditevent-override-disclosure', 4), breakGlass(5)],
      Consent: [optOut(4, 1), optOut(5, 2)],
    })
    const result = await collectSource(deps(), source)
    expect(result.counts).toMatchObject({ inserted: 7, quarantined: 1 })
    const secrets = [...NHS_NUMBERS, '9434765918', 'MILLER', 'Alice', 'GREEN', 'Tom']
    for (const table of ['disclosures', 'override_events', 'patient_choices', 'organisations', 'job_runs']) {
      const { rows } = await t.db.raw(`SELECT t::text AS line FROM ${table} t`)
      const text = (rows as Array<{ line: string }>).map((r) => r.line).join('\n')
      expect(text.length).toBeGreaterThan(0)
      for (const secret of secrets) expect(text, `${table} holds ${secret}`).not.toContain(secret)
    }
    const quarantine = await t.db('quarantine').where({ source_id: source.id }).first()
    expect(quarantine.reason).not.toContain('9434765918')
    expect(JSON.stringify(quarantine.payload)).toContain('9434765918') // the raw record is kept, for admins only
  })

  it('stops after the page in hand when asked to stop, and a later run carries on from there', async () => {
    const { source, slug } = await newSource()
    const stop = new AbortController()
    const system = practiceSystem(slug, { AuditEvent: [1, 2, 3, 4, 5].map((n) => disclosure(n, n)), Consent: [optOut(1, 1)] })
    // SIGTERM arrives while the second page is being fetched.
    server.use(
      http.get(`http://practice.test/fhir/${slug}/AuditEvent`, ({ request }) => {
        if (new URL(request.url).searchParams.has('_offset')) stop.abort()
        return undefined // fall through to the practice system
      }),
    )
    const stopped = await collectSource(deps({ pageSize: 2 }, stop.signal), source)
    expect(stopped).toMatchObject({ status: 'cancelled', counts: { read: 2, inserted: 2 } })
    expect(await getCursor(t.db, source.id, 'AuditEvent')).toBe(iso(2))
    expect(system.of('Consent')).toHaveLength(0)

    const resumed = await collectSource(deps(), source)
    expect(resumed).toMatchObject({ status: 'completed', counts: { read: 5, inserted: 4, duplicates: 1 } })
    expect(await t.db('disclosures').where({ source_id: source.id }).count('* as n').first()).toEqual({ n: 5 })
  })
})

describe('FHIR collector: source faults', () => {
  async function faultySource(stream: Stream, ...answers: Array<() => Response | Promise<Response>>) {
    const { source, slug } = await newSource()
    const system = practiceSystem(slug, { AuditEvent: [disclosure(1, 1), disclosure(2, 2)], Consent: [optOut(1, 1)] })
    faults(slug, stream, ...answers)
    return { source, slug, system }
  }
  const fullLoad = { read: 3, inserted: 3, updated: 0, duplicates: 0, quarantined: 0 }

  it('retries a request that times out', async () => {
    const { source, system } = await faultySource('AuditEvent', async () => {
      await delay(1500)
      return fhirJson({ resourceType: 'Bundle' })
    })
    const result = await collectSource(deps({ pageSize: 50, timeoutMs: 200 }), source)
    expect(result).toMatchObject({ status: 'completed', counts: fullLoad })
    expect(system.of('AuditEvent')).toHaveLength(1) // the timed-out attempt never reached the practice system
  })

  it('waits as long as a 429 Retry-After asks, then carries on', async () => {
    const { source } = await faultySource('Consent', () => new HttpResponse('slow down', { status: 429, headers: { 'Retry-After': '1' } }))
    const started = Date.now()
    const result = await collectSource(deps({ pageSize: 50 }), source)
    expect(result).toMatchObject({ status: 'completed', counts: fullLoad })
    expect(Date.now() - started).toBeGreaterThanOrEqual(950) // the configured backoff is 1 ms
  })

  it('retries a 5xx answer', async () => {
    const { source, system } = await faultySource(
      'AuditEvent',
      () => new HttpResponse('oops', { status: 502 }),
      () => new HttpResponse(null, { status: 500 }),
    )
    expect(await collectSource(deps({ pageSize: 50 }), source)).toMatchObject({ status: 'completed', counts: fullLoad })
    expect(system.of('AuditEvent')).toHaveLength(1)
  })

  it('retries a truncated body', async () => {
    const { source } = await faultySource(
      'AuditEvent',
      () =>
        new HttpResponse('{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"AuditEv', {
          headers: { 'Content-Type': 'application/fhir+json' },
        }),
    )
    expect(await collectSource(deps({ pageSize: 50 }), source)).toMatchObject({ status: 'completed', counts: fullLoad })
  })

  it('retries a non-JSON answer (a proxy login page) and JSON with the wrong content type', async () => {
    const { source } = await faultySource(
      'Consent',
      () => HttpResponse.html('<html><body>Please sign in</body></html>'),
      () => new HttpResponse(JSON.stringify({ resourceType: 'Bundle' }), { headers: { 'Content-Type': 'text/plain' } }),
    )
    expect(await collectSource(deps({ pageSize: 50 }), source)).toMatchObject({ status: 'completed', counts: fullLoad })
  })

  it('marks the run failed with the reason when the source keeps answering 503', async () => {
    const { source, slug, system } = await faultySource('AuditEvent', ...Array(3).fill(() => new HttpResponse(null, { status: 503 })))
    const result = await collectSource(deps({ pageSize: 50 }), source)
    const reason = `FHIR source failed after 3 attempts: HTTP 503 from /fhir/${slug}/AuditEvent`
    expect(result).toMatchObject({ status: 'failed', error: reason })
    expect(await t.db('job_runs').where({ id: result.runId }).first()).toMatchObject({ status: 'failed', error: reason })
    expect(system.requests).toHaveLength(0)
  })

  it('fails at once when the source refuses the token', async () => {
    const { source, slug } = await faultySource('AuditEvent', () => new HttpResponse('bad token', { status: 401 }))
    const result = await collectSource(deps({ pageSize: 50 }), source)
    expect(result).toMatchObject({ status: 'failed', error: `FHIR source refused the token (HTTP 401) at /fhir/${slug}/AuditEvent` })
  })

  it('keeps the pages committed before a failure, so the next run resumes after them', async () => {
    const { source, slug } = await newSource()
    practiceSystem(slug, { AuditEvent: [1, 2, 3, 4].map((n) => disclosure(n, n)), Consent: [] })
    server.use(
      http.get(`http://practice.test/fhir/${slug}/AuditEvent`, ({ request }) =>
        new URL(request.url).searchParams.has('_offset') ? new HttpResponse(null, { status: 503 }) : undefined,
      ),
    )
    const failed = await collectSource(deps({ pageSize: 2 }), source)
    expect(failed).toMatchObject({ status: 'failed', counts: { read: 2, inserted: 2 } })
    expect(await getCursor(t.db, source.id, 'AuditEvent')).toBe(iso(2))

    server.resetHandlers()
    const system = practiceSystem(slug, { AuditEvent: [1, 2, 3, 4].map((n) => disclosure(n, n)), Consent: [] })
    const resumed = await collectSource(deps({ pageSize: 2 }), source)
    expect(resumed).toMatchObject({ status: 'completed', counts: { read: 3, inserted: 2, duplicates: 1 } })
    expect(system.of('AuditEvent')[0]!.url.searchParams.get('_lastUpdated')).toBe(`ge${iso(2)}`)
  })
})
