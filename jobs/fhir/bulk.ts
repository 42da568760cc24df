import crypto from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { quoteSafely } from '../../core/identifiers.js'
import {
  advanceBulkProgress,
  clearBulkProgress,
  getBulkProgress,
  saveBulkManifest,
  startBulkProgress,
  type BulkFile,
} from '../../db/queries/bulk-export.js'
import { organisationCache } from '../../db/queries/organisations.js'
import type { SourceRow } from '../../db/queries/sources.js'
import type { JobContext } from '../runner.js'
import { batchTarget, prepareBatch, writeBatch } from './batch.js'
import { loadCodeTables, type MapContext } from './codes.js'
import { backoffDelay, FhirSourceError, fetchOnSameServer, networkFailure, readCapped, retryAfterMs } from './http.js'
import { ndjsonLines } from './ndjson.js'
import { mapPage, type FhirStream, type QuarantineDraft } from './page.js'
import { toUtcIso } from './schemas.js'

// A backfill through FHIR Bulk Data $export (docs/decisions/037): kick-off, poll the status URL
// as Retry-After asks, then read each NDJSON file of the manifest line by line through the same
// mapping, validation, quarantine and idempotent batch writes as the paged collector. Each
// batch commits with the file and line it reached, so a killed backfill resumes from there.

const TYPES: FhirStream[] = ['AuditEvent', 'Consent']
/** When a 202 carries no Retry-After. */
const DEFAULT_POLL_MS = 2_000
/** A server still preparing the export after this long is given up on (the next run polls again). */
const MAX_WAIT_MS = 6 * 3_600_000
/** Small answers (kick-off, status, OperationOutcome) are read up to this size. */
const SMALL_BODY_BYTES = 1_048_576

interface Env {
  ctx: JobContext
  source: SourceRow & { base_url: string; practice_id: number }
  base: string
}

/** The day before the backfill's first day, UTC midnight: _since is lastUpdated, which is never before the record's own date. */
export function bulkSince(from: string): string {
  const day = new Date(`${from}T00:00:00Z`)
  day.setUTCDate(day.getUTCDate() - 1)
  return day.toISOString()
}

export async function collectBulk(ctx: JobContext, source: SourceRow, range: { from: string; to: string }): Promise<void> {
  const env: Env = { ctx, source: source as Env['source'], base: source.base_url!.replace(/\/+$/, '') }
  const since = bulkSince(range.from)
  let progress = await getBulkProgress(ctx.db, source.id)
  if (progress && (progress.since !== since || progress.until !== range.to)) {
    await clearBulkProgress(ctx.db, source.id) // another range: that export is not this one
    progress = undefined
  }
  if (!progress) {
    const statusUrl = await kickOff(env, since)
    await startBulkProgress(ctx.db, { sourceId: source.id, since, until: range.to, statusUrl, runId: ctx.run.id })
    progress = { sourceId: source.id, since, until: range.to, statusUrl, files: null, fileIndex: 0, lineOffset: 0 }
    ctx.log(`source ${source.id}: $export started`)
  } else {
    ctx.log(`source ${source.id}: resuming the $export at file ${progress.fileIndex + 1}, after line ${progress.lineOffset}`)
  }
  let files = progress.files
  if (!files) {
    const manifest = await pollStatus(env, progress.statusUrl)
    if (!manifest) return // stopped while waiting
    files = manifest
    await saveBulkManifest(ctx.db, source.id, files)
  }
  const mapContext: MapContext = {
    sourceId: source.id,
    practiceId: env.source.practice_id,
    pseudonymKey: ctx.config.pseudonymKey,
    codes: await loadCodeTables(ctx.db),
    maxTextChars: ctx.config.http.maxTextChars,
    maxDepth: ctx.config.http.maxDepth,
  }
  const recipientId = organisationCache(ctx.db)
  for (let i = progress.fileIndex; i < files.length; i++) {
    if (ctx.signal.aborted) return
    ctx.log(`source ${source.id}: $export file ${i + 1} of ${files.length} (${files[i]!.type})`)
    const skip = i === progress.fileIndex ? progress.lineOffset : 0
    const finished = await readFile(env, files[i]!, i, skip, range, mapContext, recipientId)
    if (!finished) return
  }
  await clearBulkProgress(ctx.db, source.id)
}

/** Headers for a request to `url`: the token only ever goes to the source's own server. */
function headersFor(env: Env, url: string, accept: string, extra: Record<string, string> = {}): Record<string, string> {
  const headers: Record<string, string> = { Accept: accept, ...extra }
  if (env.source.token && new URL(url).origin === new URL(env.base).origin) headers.Authorization = `Bearer ${env.source.token}`
  return headers
}

/** One GET under the request deadline; a network failure or timeout comes back as words. */
async function request(env: Env, url: string, headers: Record<string, string>): Promise<{ response: Response } | { failure: string }> {
  const { timeoutMs } = env.ctx.config.http
  const deadline = AbortSignal.timeout(timeoutMs)
  try {
    const answer = await fetchOnSameServer(url, headers, AbortSignal.any([deadline, env.ctx.signal]))
    return 'failure' in answer ? { failure: answer.failure } : answer
  } catch (err) {
    if (env.ctx.signal.aborted) throw err
    return { failure: deadline.aborted ? `no answer within ${timeoutMs} ms` : networkFailure(err) }
  }
}

/** What an OperationOutcome says (its diagnostics or details), in one capped sentence. */
async function outcomeOf(response: Response, signal: AbortSignal): Promise<string> {
  const read = await readCapped(response, SMALL_BODY_BYTES, AbortSignal.any([signal, AbortSignal.timeout(5_000)])).catch(() => null)
  if (!read || 'failure' in read) return `HTTP ${response.status}`
  try {
    const json = JSON.parse(read.text)
    const issue = json?.resourceType === 'OperationOutcome' ? json.issue?.[0] : undefined
    const said = issue?.diagnostics ?? issue?.details?.text
    return typeof said === 'string' ? `HTTP ${response.status}: ${quoteSafely(said, 300)}` : `HTTP ${response.status}`
  } catch {
    return `HTTP ${response.status}`
  }
}

/** The kick-off request; the status URL to poll. Transient failures are retried, a refusal is not. */
async function kickOff(env: Env, since: string): Promise<string> {
  const { maxAttempts, backoffMs } = env.ctx.config.http
  const params = new URLSearchParams({ _type: TYPES.join(','), _since: since })
  const url = `${env.base}/$export?${params}`
  let last = ''
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const answer = await request(env, url, headersFor(env, url, 'application/fhir+json', { Prefer: 'respond-async' }))
    let wait: number | undefined
    if ('failure' in answer) last = answer.failure
    else {
      const { response } = answer
      if (response.status === 202) {
        response.body?.cancel().catch(() => {})
        const location = response.headers.get('content-location')
        if (!location) throw new FhirSourceError('FHIR source accepted the $export but gave no Content-Location to poll')
        const status = new URL(location, url)
        if (status.origin !== new URL(env.base).origin)
          throw new FhirSourceError("FHIR source's $export status address is on another server, where its token will not be sent")
        return status.href
      }
      last = `refused the $export (${await outcomeOf(response, env.ctx.signal)})`
      if (response.status !== 429 && response.status < 500) throw new FhirSourceError(`FHIR source ${last}`)
      wait = retryAfterMs(response.headers.get('retry-after'))
    }
    if (attempt < maxAttempts) await sleep(wait ?? backoffDelay(attempt, backoffMs), undefined, { signal: env.ctx.signal })
  }
  throw new FhirSourceError(`FHIR source failed after ${maxAttempts} attempts to start the $export: ${last}`)
}

/**
 * Polls the status URL until the export is complete (the manifest's files of our types), waiting
 * as each 202's Retry-After asks. An export that failed (an error status with an
 * OperationOutcome) is forgotten, so the next run starts a new one. Null when stopped.
 */
async function pollStatus(env: Env, statusUrl: string): Promise<BulkFile[] | null> {
  const { ctx } = env
  const { maxAttempts, backoffMs } = ctx.config.http
  const until = Date.now() + MAX_WAIT_MS
  let failures = 0
  while (Date.now() < until) {
    if (ctx.signal.aborted) return null
    const answer = await request(env, statusUrl, headersFor(env, statusUrl, 'application/json'))
    let wait: number
    if ('failure' in answer) {
      if (++failures >= maxAttempts) throw new FhirSourceError(`FHIR source's $export status failed ${failures} times: ${answer.failure}`)
      wait = backoffDelay(failures, backoffMs)
    } else {
      const { response } = answer
      failures = 0
      if (response.status === 200) return manifestFiles(env, response)
      if (response.status === 202) {
        response.body?.cancel().catch(() => {})
        const progress = response.headers.get('x-progress')
        if (progress) ctx.log(`source ${env.source.id}: $export in progress (${quoteSafely(progress, 80)})`)
        wait = retryAfterMs(response.headers.get('retry-after')) ?? DEFAULT_POLL_MS
      } else if (response.status === 429) {
        response.body?.cancel().catch(() => {})
        wait = retryAfterMs(response.headers.get('retry-after')) ?? DEFAULT_POLL_MS
      } else {
        const said = await outcomeOf(response, ctx.signal)
        await clearBulkProgress(ctx.db, env.source.id)
        throw new FhirSourceError(`FHIR source's $export failed (${said}); the next backfill starts a new export`)
      }
    }
    try {
      await sleep(wait, undefined, { signal: ctx.signal })
    } catch {
      return null
    }
  }
  throw new FhirSourceError('FHIR source was still preparing the $export after 6 hours; the next backfill polls it again')
}

async function manifestFiles(env: Env, response: Response): Promise<BulkFile[]> {
  const read = await readCapped(response, SMALL_BODY_BYTES * 16, AbortSignal.any([env.ctx.signal, AbortSignal.timeout(30_000)]))
  if ('failure' in read) throw new FhirSourceError(`FHIR source's $export manifest could not be read: ${read.failure}`)
  let manifest: { output?: unknown; error?: unknown; requiresAccessToken?: unknown }
  try {
    manifest = JSON.parse(read.text)
  } catch {
    throw new FhirSourceError("FHIR source's $export manifest is not JSON")
  }
  if (!Array.isArray(manifest.output)) throw new FhirSourceError("FHIR source's $export manifest has no output list")
  const files: BulkFile[] = []
  for (const o of manifest.output as Array<{ type?: unknown; url?: unknown }>) {
    if (typeof o?.type !== 'string' || typeof o?.url !== 'string')
      throw new FhirSourceError("FHIR source's $export manifest lists a file without type or url")
    if (!TYPES.includes(o.type as FhirStream)) continue // only what was asked for is read
    const url = new URL(o.url, env.base)
    if (manifest.requiresAccessToken === true && url.origin !== new URL(env.base).origin)
      throw new FhirSourceError("FHIR source's $export files are on another server and need its token, which is not sent there")
    files.push({ type: o.type, url: url.href })
  }
  if (Array.isArray(manifest.error) && manifest.error.length > 0)
    env.ctx.log(`source ${env.source.id}: the $export reported ${manifest.error.length} error file(s)`)
  return files
}

/** Is the record dated inside the backfill (AuditEvent.recorded, Consent.dateTime, as the paged `date` search)? Undated records pass, for the mapper to judge. */
function inRange(resource: unknown, range: { from: string; to: string }): boolean {
  const r = resource as { resourceType?: unknown; recorded?: unknown; dateTime?: unknown } | null
  const raw = r?.resourceType === 'AuditEvent' ? r.recorded : r?.resourceType === 'Consent' ? r.dateTime : undefined
  const at = typeof raw === 'string' ? toUtcIso(raw) : null
  if (at === null) return true
  return at >= `${range.from}T00:00:00.000Z` && at.slice(0, 10) <= range.to
}

/**
 * Reads one NDJSON file from line `skip` on, in batches of the paged collector's size; each batch
 * commits with the line it reached. A line that is not whole JSON is quarantined with its reason.
 * False when stopped; throws (after committing what was read) when the file breaks off.
 */
async function readFile(
  env: Env,
  file: BulkFile,
  index: number,
  skip: number,
  range: { from: string; to: string },
  mapContext: MapContext,
  recipientId: ReturnType<typeof organisationCache>,
): Promise<boolean> {
  const { ctx, source } = env
  const stream = file.type as FhirStream
  const target = batchTarget(ctx.config.http.pageSize)
  const opened = await openFile(env, file.url)
  let resources: unknown[] = []
  let broken: QuarantineDraft[] = []
  let lineNo = 0
  let committing: Promise<void> | null = null
  const commit = async () => {
    const page = mapPage({ resourceType: 'Bundle', entry: resources.map((resource) => ({ resource })) }, stream, mapContext)
    page.read += broken.length
    for (const q of broken) page.quarantine.push(q)
    const reached = lineNo
    resources = []
    broken = []
    const prepared = await prepareBatch(ctx.run.id, page, recipientId)
    if (committing) await committing
    committing = writeBatch(ctx, source.id, stream, prepared, false, (trx) =>
      advanceBulkProgress(trx, source.id, index, reached, ctx.run.id),
    )
    committing.catch(() => {})
  }
  try {
    for await (const line of ndjsonLines(opened, ctx.config.http.maxBodyBytes, ctx.config.http.timeoutMs, ctx.signal)) {
      lineNo++
      if (lineNo <= skip || line.text.trim() === '') continue
      if (line.tooLong) {
        broken.push(
          brokenLine(
            stream,
            index,
            lineNo,
            null,
            `line ${lineNo} of $export file ${index + 1} is longer than FHIR_MAX_BODY_BYTES; it was not read`,
          ),
        )
      } else {
        let resource: unknown
        try {
          resource = JSON.parse(line.text)
        } catch {
          broken.push(
            brokenLine(
              stream,
              index,
              lineNo,
              line.text,
              `line ${lineNo} of $export file ${index + 1} (${stream}) is not complete JSON (truncated or damaged); it was not read`,
            ),
          )
          resource = undefined
        }
        if (resource !== undefined && inRange(resource, range)) resources.push(resource)
      }
      if (resources.length + broken.length >= target) await commit()
      if (ctx.signal.aborted) break
    }
  } catch (err) {
    if (resources.length + broken.length > 0) await commit()
    if (committing) await committing
    if (ctx.signal.aborted) return false
    throw new FhirSourceError(
      `FHIR source's $export file ${index + 1} broke off after line ${lineNo} (${(err as Error).message}); what was read is kept and the next backfill resumes there`,
    )
  }
  if (resources.length + broken.length > 0 || (lineNo > skip && !ctx.signal.aborted)) await commit()
  if (committing) await committing
  return !ctx.signal.aborted
}

function brokenLine(stream: FhirStream, index: number, lineNo: number, text: string | null, reason: string): QuarantineDraft {
  // The same damaged line keeps one key (a re-run updates its entry rather than adding one).
  const key = `sha256:${crypto
    .createHash('sha256')
    .update(text ?? `${index}:${lineNo}`)
    .digest('hex')}`
  return { recordKey: key, resourceType: stream, reason, payload: text === null ? null : { line: lineNo, text: text.slice(0, 65_536) } }
}

/** Opens an NDJSON file, retrying transient failures before any of it is read. */
async function openFile(env: Env, url: string): Promise<ReadableStream<Uint8Array>> {
  const { maxAttempts, backoffMs } = env.ctx.config.http
  let last = ''
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const answer = await fileRequest(env, url)
    if ('body' in answer) return answer.body
    last = answer.failure
    if (answer.gone) {
      await clearBulkProgress(env.ctx.db, env.source.id)
      throw new FhirSourceError(`FHIR source no longer has the $export's files (${last}); the next backfill starts a new export`)
    }
    if (!answer.retry) throw new FhirSourceError(`FHIR source refused an $export file (${last})`)
    if (attempt < maxAttempts) await sleep(backoffDelay(attempt, backoffMs), undefined, { signal: env.ctx.signal })
  }
  throw new FhirSourceError(`FHIR source failed after ${maxAttempts} attempts to send an $export file: ${last}`)
}

async function fileRequest(
  env: Env,
  url: string,
): Promise<{ body: ReadableStream<Uint8Array> } | { failure: string; retry: boolean; gone?: boolean }> {
  // A deadline for the answer's headers only: the file itself may be gigabytes, and ndjsonLines
  // times out a read that stalls instead.
  const connect = new AbortController()
  const timer = setTimeout(() => connect.abort(), env.ctx.config.http.timeoutMs)
  let response: Response
  try {
    const answer = await fetchOnSameServer(
      url,
      headersFor(env, url, 'application/fhir+ndjson'),
      AbortSignal.any([env.ctx.signal, connect.signal]),
    )
    if ('failure' in answer) return { failure: answer.failure, retry: false }
    response = answer.response
  } catch (err) {
    if (env.ctx.signal.aborted) throw err
    return { failure: connect.signal.aborted ? 'no answer in time' : networkFailure(err), retry: true }
  } finally {
    clearTimeout(timer)
  }
  if (response.ok && response.body) return { body: response.body }
  const said = await outcomeOf(response, env.ctx.signal)
  return {
    failure: said,
    retry: response.status === 429 || response.status >= 500,
    gone: response.status === 404 || response.status === 410,
  }
}
