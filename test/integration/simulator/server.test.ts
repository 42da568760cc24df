import type { AuditEvent, Bundle, Consent } from 'fhir/r4'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { generateDataset, type Dataset } from '../../../simulator/data.js'
import { startSimulator, type RunningSimulator } from '../../../simulator/server.js'

const OPTIONS = { practices: 2, days: 30, seed: 5 }
let sim: RunningSimulator
let dataset: Dataset
let base: string

beforeAll(async () => {
  sim = await startSimulator({ port: 0, maxPageSize: 200, ...OPTIONS })
  dataset = generateDataset(OPTIONS)
  base = sim.practices[0]!.fhirBaseUrl
})
afterAll(() => sim.close())
afterEach(() => sim.setFaults({ mode: 'none' }))

async function getBundle(url: string, init?: RequestInit): Promise<Bundle> {
  const res = await fetch(url, init)
  expect(res.status, await res.clone().text()).toBe(200)
  expect(res.headers.get('content-type')).toBe('application/fhir+json; charset=utf-8')
  return (await res.json()) as Bundle
}

/** Every resource of a search, following next links; also counts the pages. */
async function searchAll(url: string): Promise<{ resources: Array<AuditEvent | Consent>; pages: number; total: number }> {
  const resources: Array<AuditEvent | Consent> = []
  let next: string | undefined = url
  let pages = 0
  let total = -1
  while (next) {
    const bundle = await getBundle(next)
    expect(bundle.type).toBe('searchset')
    total = bundle.total!
    for (const entry of bundle.entry ?? []) {
      expect(entry.fullUrl).toBe(`${url.split('?')[0]}/${entry.resource!.id}`)
      resources.push(entry.resource as AuditEvent | Consent)
    }
    next = bundle.link?.find((l) => l.relation === 'next')?.url
    pages++
  }
  return { resources, pages, total }
}

describe('practice-system simulator over HTTP', () => {
  it('serves each practice at its own base URL, on the port it was given', () => {
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(sim.url).not.toMatch(/:0$/)
    expect(sim.practices.map((p) => p.odsCode)).toEqual(['A81001', 'A81002'])
    expect(sim.practices[1]).toEqual({
      odsCode: 'A81002',
      name: dataset.practices[1]!.practice.name,
      icbCode: 'QHM',
      listSize: dataset.practices[1]!.practice.listSize,
      fhirBaseUrl: `${sim.url}/fhir/A81002`,
    })
  })

  it('answers metadata with an R4 CapabilityStatement', async () => {
    const res = await fetch(`${base}/metadata`)
    expect(res.status).toBe(200)
    const capability = await res.json()
    expect(capability).toMatchObject({ resourceType: 'CapabilityStatement', fhirVersion: '4.0.1', kind: 'instance' })
    expect(capability.rest[0].resource.map((r: { type: string }) => r.type)).toEqual(['AuditEvent', 'Consent'])
  })

  it('pages through every record exactly once, in lastUpdated order, with absolute next links', async () => {
    const { resources, pages, total } = await searchAll(`${base}/AuditEvent?_count=37`)
    const expected = dataset.practices[0]!.auditEvents
    expect(total).toBe(expected.length)
    expect(pages).toBe(Math.ceil(expected.length / 37))
    expect(resources.map((r) => r.id)).toEqual(expected.map((r) => r.id))
    expect(JSON.stringify(resources[5])).toBe(JSON.stringify(expected[5]))

    const consents = await searchAll(`${sim.practices[1]!.fhirBaseUrl}/Consent?_sort=_lastUpdated&_count=200`)
    expect(consents.resources.map((r) => r.id)).toEqual(dataset.practices[1]!.consents.map((r) => r.id))
  })

  it('caps _count at maxPageSize and defaults to 100', async () => {
    expect((await getBundle(`${base}/AuditEvent?_count=5000`)).entry).toHaveLength(200)
    const first = await getBundle(`${base}/AuditEvent`)
    expect(first.entry).toHaveLength(100)
    expect(first.link?.find((l) => l.relation === 'self')?.url).toBe(`${base}/AuditEvent`)
    const counted = await getBundle(`${base}/AuditEvent?_count=0`)
    expect(counted.total).toBe(dataset.practices[0]!.auditEvents.length)
    expect(counted.entry).toBeUndefined()
  })

  it('filters by _lastUpdated, so a collector can resume after the last record it saw', async () => {
    const events = dataset.practices[0]!.auditEvents
    const cursor = events[1000]!.meta!.lastUpdated!
    const since = await searchAll(`${base}/AuditEvent?_lastUpdated=ge${encodeURIComponent(cursor)}&_count=200`)
    expect(since.resources.map((r) => r.id)).toEqual(events.slice(1000).map((r) => r.id))
    const after = await searchAll(`${base}/AuditEvent?_lastUpdated=gt${encodeURIComponent(cursor)}&_count=200`)
    expect(after.total).toBe(events.length - 1001)
    const before = await getBundle(`${base}/AuditEvent?_lastUpdated=lt${encodeURIComponent(cursor)}&_count=0`)
    expect(before.total).toBe(1000)
    // Another time zone names the same instant; an unencoded "+" arrives as a space and still works.
    const shifted = new Date(Date.parse(cursor) + 3_600_000).toISOString().replace('Z', '+01:00')
    expect((await getBundle(`${base}/AuditEvent?_lastUpdated=ge${shifted}&_count=0`)).total).toBe(events.length - 1000)
  })

  it('filters by a date range on AuditEvent.recorded and Consent.dateTime, with repeated date parameters', async () => {
    const inRange = (t: string | undefined) => t! >= '2026-10-10T00:00:00.000Z' && t! < '2026-10-13T00:00:00.000Z'
    const events = await searchAll(`${base}/AuditEvent?date=ge2026-10-10&date=le2026-10-12&_count=200`)
    const expectedEvents = dataset.practices[0]!.auditEvents.filter((e) => inRange(e.recorded))
    expect(expectedEvents.length).toBeGreaterThan(50)
    expect(events.resources.map((r) => r.id)).toEqual(expectedEvents.map((e) => e.id))

    const consents = await searchAll(`${base}/Consent?date=ge2026-10-10&date=lt2026-10-13&_count=200`)
    expect(consents.resources.map((r) => r.id)).toEqual(dataset.practices[0]!.consents.filter((c) => inRange(c.dateTime)).map((c) => c.id))

    const month = await getBundle(`${base}/AuditEvent?date=2026-10&_lastUpdated=ge2026-10-15&_count=0`)
    expect(month.total).toBe(
      dataset.practices[0]!.auditEvents.filter((e) => e.recorded.startsWith('2026-10') && e.meta!.lastUpdated! >= '2026-10-15').length,
    )
  })

  it('reads one resource by id', async () => {
    const consent = dataset.practices[0]!.consents[3]!
    const res = await fetch(`${base}/Consent/${consent.id}`)
    expect(await res.json()).toEqual(consent)
    expect((await fetch(`${base}/Consent/no-such-id`)).status).toBe(404)
  })

  it('answers mistakes with an OperationOutcome', async () => {
    const unknown = await fetch(`${sim.url}/fhir/Z99999/AuditEvent`)
    expect(unknown.status).toBe(404)
    expect(await unknown.json()).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'not-found' }] })
    const badDate = await fetch(`${base}/AuditEvent?_lastUpdated=ge2026-13-01`)
    expect(badDate.status).toBe(400)
    expect((await badDate.json()).issue[0].diagnostics).toMatch(/not a real date/)
    expect((await fetch(`${base}/AuditEvent?_sort=-date`)).status).toBe(400)
    expect((await fetch(`${base}/Patient`)).status).toBe(404)
    expect((await fetch(`${base}/AuditEvent`, { method: 'POST', body: '{}' })).status).toBe(405)
  })

  it('counts requests', async () => {
    const before = sim.requestCount()
    await fetch(`${base}/metadata`)
    await fetch(`${sim.url}/nowhere`)
    expect(sim.requestCount()).toBe(before + 2)
  })
})

describe('faults', () => {
  it('rate-limits with Retry-After for the first N matching requests, then behaves', async () => {
    sim.setFaults({ mode: 'rate_limit', times: 2, retryAfterSeconds: 3 })
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${base}/AuditEvent?_count=1`)
      expect(res.status).toBe(429)
      expect(res.headers.get('retry-after')).toBe('3')
      expect((await res.json()).resourceType).toBe('OperationOutcome')
    }
    expect((await fetch(`${base}/AuditEvent?_count=1`)).status).toBe(200)
  })

  it('fails only the requests whose path matches', async () => {
    sim.setFaults({ mode: 'server_error', match: 'Consent' })
    expect((await fetch(`${base}/AuditEvent?_count=1`)).status).toBe(200)
    expect((await fetch(`${base}/metadata`)).status).toBe(200)
    const failed = await fetch(`${base}/Consent?_count=1`)
    expect(failed.status).toBe(503)
    expect((await failed.json()).issue[0].code).toBe('transient')
    sim.setFaults({ mode: 'server_error', match: 'A81002', times: 1 })
    expect((await fetch(`${base}/Consent?_count=1`)).status).toBe(200)
    expect((await fetch(`${sim.practices[1]!.fhirBaseUrl}/Consent?_count=1`)).status).toBe(503)
    expect((await fetch(`${sim.practices[1]!.fhirBaseUrl}/Consent?_count=1`)).status).toBe(200)
  })

  it('sends an HTML page instead of JSON', async () => {
    sim.setFaults({ mode: 'not_json', times: 1 })
    const res = await fetch(`${base}/AuditEvent`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/html/)
    const text = await res.text()
    expect(() => JSON.parse(text)).toThrow()
  })

  it('sends valid JSON with the wrong content type', async () => {
    sim.setFaults({ mode: 'wrong_content_type', times: 1 })
    const res = await fetch(`${base}/AuditEvent?_count=3`)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/)
    expect(((await res.json()) as Bundle).entry).toHaveLength(3)
  })

  it('truncates the body halfway', async () => {
    sim.setFaults({ mode: 'truncated', times: 1 })
    const res = await fetch(`${base}/AuditEvent?_count=50`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/fhir+json; charset=utf-8')
    const body = await res.text().catch((err: Error) => err)
    if (typeof body === 'string') expect(() => JSON.parse(body)).toThrow()
    else expect(body).toBeInstanceOf(Error)
    expect((await fetch(`${base}/AuditEvent?_count=50`)).status).toBe(200)
  })

  it('never answers in timeout mode, until the client gives up', async () => {
    sim.setFaults({ mode: 'timeout', times: 1 })
    const started = Date.now()
    await expect(fetch(`${base}/AuditEvent`, { signal: AbortSignal.timeout(300) })).rejects.toThrow()
    expect(Date.now() - started).toBeGreaterThanOrEqual(250)
    expect((await fetch(`${base}/AuditEvent?_count=1`)).status).toBe(200)
  })
})

describe('a simulator with a token', () => {
  let secured: RunningSimulator
  beforeAll(async () => {
    secured = await startSimulator({ port: 0, practices: 1, days: 5, token: 's3cret' })
  })
  afterAll(() => secured.close())

  it('turns away requests without the bearer token', async () => {
    const url = `${secured.practices[0]!.fhirBaseUrl}/AuditEvent?_count=1`
    const missing = await fetch(url)
    expect(missing.status).toBe(401)
    expect(missing.headers.get('www-authenticate')).toBe('Bearer')
    expect((await fetch(url, { headers: { Authorization: 'Bearer wrong' } })).status).toBe(401)
    expect((await fetch(url, { headers: { Authorization: 'Bearer s3cret' } })).status).toBe(200)
  })
})

it('closes promptly while a request hangs in timeout mode', async () => {
  const hanging = await startSimulator({ port: 0, practices: 1, days: 5 })
  hanging.setFaults({ mode: 'timeout' })
  const request = fetch(`${hanging.practices[0]!.fhirBaseUrl}/AuditEvent`).then(
    () => 'answered',
    () => 'connection closed',
  )
  await new Promise((resolve) => setTimeout(resolve, 100))
  const started = Date.now()
  await hanging.close()
  expect(Date.now() - started).toBeLessThan(1000)
  expect(await request).toBe('connection closed')
  await hanging.close() // closing twice is harmless
})
