import { http, HttpResponse } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { MAX_RETRY_AFTER_MS, backoffDelay, fetchBundle, retryAfterMs } from '../../../jobs/fhir/http.js'

const URL_ = 'http://practice.test/fhir/A81001/AuditEvent?_count=2'
const server = setupServer()
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => server.resetHandlers())
afterAll(() => server.close())

const LIMITS = { maxBodyBytes: 1024 * 1024, maxPages: 100, maxDepth: 64, maxTextChars: 1000 }
const options = (overrides: Partial<Parameters<typeof fetchBundle>[1]> = {}) => ({
  token: 'secret-token',
  http: { pageSize: 2, timeoutMs: 1000, maxAttempts: 3, backoffMs: 1, ...LIMITS },
  ...overrides,
})
const fhirJson = (body: unknown) => new HttpResponse(JSON.stringify(body), { headers: { 'Content-Type': 'application/fhir+json' } })

describe('retryAfterMs', () => {
  it('reads seconds or an HTTP-date, caps both, and ignores what it cannot read', () => {
    const now = Date.parse('2026-03-02T10:00:00Z')
    expect(retryAfterMs('2', now)).toBe(2000)
    expect(retryAfterMs('Mon, 02 Mar 2026 10:00:05 GMT', now)).toBe(5000)
    expect(retryAfterMs('Mon, 02 Mar 2026 09:00:00 GMT', now)).toBe(0)
    expect(retryAfterMs('86400', now)).toBe(MAX_RETRY_AFTER_MS)
    expect(retryAfterMs('Tue, 03 Mar 2026 10:00:00 GMT', now)).toBe(MAX_RETRY_AFTER_MS)
    expect(retryAfterMs('soon', now)).toBeUndefined()
    expect(retryAfterMs(null, now)).toBeUndefined()
  })
})

describe('backoffDelay', () => {
  it('doubles per attempt within 20% jitter, and stops growing at the cap', () => {
    for (const [attempt, base] of [
      [1, 500],
      [2, 1000],
      [3, 2000],
    ] as const) {
      const d = backoffDelay(attempt, 500)
      expect(d).toBeGreaterThanOrEqual(base)
      expect(d).toBeLessThanOrEqual(base * 1.2)
    }
    expect(backoffDelay(20, 500)).toBeLessThanOrEqual(30_000 * 1.2)
  })
})

describe('fetchBundle', () => {
  it('asks for FHIR JSON with the bearer token', async () => {
    let seen: Headers | undefined
    server.use(
      http.get('http://practice.test/fhir/A81001/AuditEvent', ({ request }) => {
        seen = request.headers
        return fhirJson({ resourceType: 'Bundle', type: 'searchset', entry: [] })
      }),
    )
    expect(await fetchBundle(URL_, options())).toEqual({ resourceType: 'Bundle', entry: [] })
    expect(seen?.get('accept')).toBe('application/fhir+json')
    expect(seen?.get('authorization')).toBe('Bearer secret-token')
  })

  it('sends no Authorization header when the source has no token', async () => {
    let authorization: string | null = 'unset'
    server.use(
      http.get('http://practice.test/fhir/A81001/AuditEvent', ({ request }) => {
        authorization = request.headers.get('authorization')
        return fhirJson({ resourceType: 'Bundle' })
      }),
    )
    await fetchBundle(URL_, options({ token: null }))
    expect(authorization).toBeNull()
  })

  it('fails at once on 401, since asking again changes nothing', async () => {
    let requests = 0
    server.use(
      http.get('http://practice.test/fhir/A81001/AuditEvent', () => {
        requests++
        return new HttpResponse('no', { status: 401 })
      }),
    )
    await expect(fetchBundle(URL_, options())).rejects.toThrow('FHIR source refused the token (HTTP 401) at /fhir/A81001/AuditEvent')
    expect(requests).toBe(1)
  })

  it('retries a network error and an OperationOutcome instead of a Bundle, naming the last reason when it gives up', async () => {
    let requests = 0
    server.use(
      http.get('http://practice.test/fhir/A81001/AuditEvent', () => {
        requests++
        return requests === 1 ? HttpResponse.error() : fhirJson({ resourceType: 'OperationOutcome', issue: [] })
      }),
    )
    await expect(fetchBundle(URL_, options())).rejects.toThrow(
      'FHIR source failed after 3 attempts: an OperationOutcome instead of a FHIR Bundle from /fhir/A81001/AuditEvent',
    )
    expect(requests).toBe(3)
  })

  it('stops waiting between attempts as soon as the job is told to stop', async () => {
    server.use(http.get('http://practice.test/fhir/A81001/AuditEvent', () => new HttpResponse(null, { status: 503 })))
    const stop = new AbortController()
    const started = Date.now()
    const pending = fetchBundle(
      URL_,
      options({ http: { pageSize: 2, timeoutMs: 1000, maxAttempts: 3, backoffMs: 10_000, ...LIMITS }, stopSignal: stop.signal }),
    )
    setTimeout(() => stop.abort(), 50)
    await expect(pending).rejects.toThrow()
    expect(Date.now() - started).toBeLessThan(2000)
  })
})
