import { setTimeout as sleep } from 'node:timers/promises'
import type { Config } from '../../config/env.js'
import { BundleSchema, type Bundle } from './schemas.js'
import { isBundle } from './validate.js'

/** A source that could not be read: the message is the one sentence the run records. */
export class FhirSourceError extends Error {}

export interface FetchBundleOptions {
  token: string | null
  http: Config['http']
  /** The job's stop signal: ends a request or a backoff wait at once, without retrying. */
  stopSignal?: AbortSignal
}

/** A server may ask for any Retry-After; one that asks for an hour is treated as failing, not waited for. */
export const MAX_RETRY_AFTER_MS = 60_000
const MAX_BACKOFF_MS = 30_000
const FHIR_CONTENT_TYPES = new Set(['application/fhir+json', 'application/json'])

type Attempt = { bundle: Bundle } | { failure: string; retry: boolean; waitMs?: number }

/**
 * GETs one searchset page. Transient faults (network errors, timeouts, 429, 5xx, a truncated or
 * non-JSON body, a wrong content type, something other than a Bundle) are retried with capped
 * exponential backoff; other 4xx answers fail at once, since asking again changes nothing.
 */
export async function fetchBundle(url: string, options: FetchBundleOptions): Promise<Bundle> {
  const { maxAttempts, backoffMs } = options.http
  const path = new URL(url).pathname
  let lastFailure = ''
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const result = await attemptOnce(url, options)
    if ('bundle' in result) return result.bundle
    if (!result.retry) throw new FhirSourceError(`FHIR source ${result.failure} at ${path}`)
    lastFailure = result.failure
    if (attempt < maxAttempts) await sleep(result.waitMs ?? backoffDelay(attempt, backoffMs), undefined, { signal: options.stopSignal })
  }
  throw new FhirSourceError(`FHIR source failed after ${maxAttempts} attempts: ${lastFailure} from ${path}`)
}

async function attemptOnce(url: string, options: FetchBundleOptions): Promise<Attempt> {
  const timeout = AbortSignal.timeout(options.http.timeoutMs)
  const signal = options.stopSignal ? AbortSignal.any([timeout, options.stopSignal]) : timeout
  const headers: Record<string, string> = { Accept: 'application/fhir+json' }
  if (options.token) headers.Authorization = `Bearer ${options.token}`
  let response: Response
  let body: string
  try {
    response = await fetch(url, { headers, signal })
    if (!response.ok) {
      // Free the connection; not awaited, as a cancelled stream need not settle promptly.
      response.body?.cancel().catch(() => {})
      return statusFailure(response)
    }
    body = await response.text()
  } catch (err) {
    if (options.stopSignal?.aborted) throw err
    if (timeout.aborted) return { failure: `no answer within ${options.http.timeoutMs} ms`, retry: true }
    const cause = (err as { cause?: { code?: string; message?: string } }).cause
    return { failure: `network error (${cause?.code ?? cause?.message ?? (err as Error).message})`, retry: true }
  }
  const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
  if (!FHIR_CONTENT_TYPES.has(mediaType)) {
    return { failure: `content type ${mediaType || '(none)'} instead of application/fhir+json`, retry: true }
  }
  let json: unknown
  try {
    json = JSON.parse(body)
  } catch {
    return { failure: 'a truncated or non-JSON body', retry: true }
  }
  // The hand-written check first: zod would copy every entry of a 1,000-entry page. Like zod,
  // keep only the elements the collector reads.
  if (isBundle(json)) {
    const bundle: Bundle = { resourceType: 'Bundle' }
    if (json.link !== undefined) bundle.link = json.link
    if (json.entry !== undefined) bundle.entry = json.entry
    return { bundle }
  }
  const parsed = BundleSchema.safeParse(json)
  if (!parsed.success) {
    const type = (json as { resourceType?: unknown } | null)?.resourceType
    const what = typeof type === 'string' ? `${/^[AEIOU]/.test(type) ? 'an' : 'a'} ${type}` : 'something'
    return { failure: `${what} instead of a FHIR Bundle`, retry: true }
  }
  return { bundle: parsed.data }
}

function statusFailure(response: Response): Attempt {
  const status = response.status
  if (status === 429) return { failure: 'HTTP 429', retry: true, waitMs: retryAfterMs(response.headers.get('retry-after')) }
  if (status >= 500) return { failure: `HTTP ${status}`, retry: true }
  if (status === 401 || status === 403) return { failure: `refused the token (HTTP ${status})`, retry: false }
  return { failure: `rejected the request (HTTP ${status})`, retry: false }
}

/** Retry-After as seconds or an HTTP-date, capped; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  const value = header?.trim()
  if (!value) return undefined
  if (/^\d+$/.test(value)) return Math.min(Number(value) * 1000, MAX_RETRY_AFTER_MS)
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.min(Math.max(at - now, 0), MAX_RETRY_AFTER_MS)
}

/** Capped exponential backoff with up to 20% jitter, so many runners do not retry in step. */
export function backoffDelay(attempt: number, backoffMs: number): number {
  const base = Math.min(backoffMs * 2 ** (attempt - 1), MAX_BACKOFF_MS)
  return base + Math.random() * 0.2 * base
}
