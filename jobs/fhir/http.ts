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

export type Failure = { failure: string; retry: boolean; waitMs?: number }
type Attempt = { bundle: Bundle } | Failure

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

/** How many same-server redirects one request follows before giving up. */
export const MAX_REDIRECTS = 5

/**
 * One request, under one deadline that covers everything: connecting, redirects, the headers,
 * and reading (and decompressing) the body. A source that trickles a compressed body, or sends
 * a small one that inflates without end, is cut off by the deadline or the size cap.
 */
async function attemptOnce(url: string, options: FetchBundleOptions): Promise<Attempt> {
  const { timeoutMs, maxBodyBytes } = options.http
  const deadline = AbortSignal.timeout(timeoutMs)
  const signal = options.stopSignal ? AbortSignal.any([deadline, options.stopSignal]) : deadline
  const headers: Record<string, string> = { Accept: 'application/fhir+json' }
  if (options.token) headers.Authorization = `Bearer ${options.token}`
  let response: Response
  let body: string
  try {
    const answer = await fetchOnSameServer(url, headers, signal)
    if ('failure' in answer) return answer
    response = answer.response
    if (!response.ok) {
      // Free the connection; not awaited, as a cancelled stream need not settle promptly.
      response.body?.cancel().catch(() => {})
      return statusFailure(response)
    }
    const read = await readCapped(response, maxBodyBytes, signal)
    if ('failure' in read) return read
    body = read.text
  } catch (err) {
    if (options.stopSignal?.aborted) throw err
    if (deadline.aborted) return { failure: `no complete answer within ${timeoutMs} ms`, retry: true }
    return { failure: networkFailure(err), retry: true }
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

/**
 * Follows redirects by hand, on the same server only: the bearer token goes with every request,
 * and a source that could send the collector to any address could use it to probe the network
 * around it (which local ports answer) and read the answers back from the run's error.
 */
export async function fetchOnSameServer(
  url: string,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<{ response: Response } | Failure> {
  let current = new URL(url)
  for (let hop = 0; ; hop++) {
    const response = await fetch(current, { headers, signal, redirect: 'manual' })
    if (response.status < 300 || response.status > 399 || response.status === 304) return { response }
    response.body?.cancel().catch(() => {})
    const location = response.headers.get('location')
    if (!location) return { failure: `sent a redirect (HTTP ${response.status}) without a Location`, retry: false }
    const next = new URL(location, current)
    if (next.origin !== current.origin)
      return { failure: 'redirected the request to another server, where it is not followed', retry: false }
    if (hop >= MAX_REDIRECTS) return { failure: `redirected more than ${MAX_REDIRECTS} times`, retry: false }
    current = next
  }
}

/**
 * The body, decompressed, as text: read chunk by chunk, stopped at `maxBytes` (a 300 KB gzip
 * bomb inflates to gigabytes) and at the request's deadline (each read is raced against it, so
 * a body that trickles in a byte at a time cannot hold the run).
 */
export async function readCapped(response: Response, maxBytes: number, signal: AbortSignal): Promise<{ text: string } | Failure> {
  const tooLarge: Failure = { failure: `sent an answer larger than ${megabytes(maxBytes)} (FHIR_MAX_BODY_BYTES)`, retry: false }
  const declared = Number(response.headers.get('content-length') ?? NaN)
  if (!response.headers.get('content-encoding') && declared > maxBytes) {
    response.body?.cancel().catch(() => {})
    return tooLarge
  }
  if (!response.body) return { text: '' }
  const reader = response.body.getReader()
  const aborted = new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason)
    signal.addEventListener('abort', () => reject(signal.reason), { once: true })
  })
  aborted.catch(() => {})
  const chunks: Uint8Array[] = []
  let size = 0
  let finished = false
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), aborted])
      if (done) {
        finished = true
        break
      }
      size += value.byteLength
      if (size > maxBytes) return tooLarge
      chunks.push(value)
    }
  } finally {
    if (!finished) reader.cancel().catch(() => {})
  }
  return { text: Buffer.concat(chunks).toString('utf8') }
}

const megabytes = (bytes: number) => `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`

/**
 * A network failure in words that name no address or port: the run's error is shown on the jobs
 * page, and "connect ECONNREFUSED 10.0.0.5:5432" would tell a reader what listens where.
 */
export function networkFailure(err: unknown): string {
  const cause = (err as { cause?: { code?: string } }).cause
  switch (cause?.code ?? (err as { code?: string }).code) {
    case 'ECONNREFUSED':
      return 'the source refused the connection'
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return "the source's host name could not be found"
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
    case 'EPIPE':
      return 'the source closed the connection'
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'the source did not accept a connection in time'
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'the source cannot be reached on the network'
    case 'CERT_HAS_EXPIRED':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return "the source's TLS certificate was not accepted"
    default:
      return 'a network error'
  }
}

function statusFailure(response: Response): Failure {
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
