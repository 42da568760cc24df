import { organisationCache } from '../../db/queries/organisations.js'
import { getCursor, type SourceRow } from '../../db/queries/sources.js'
import type { JobContext } from '../runner.js'
import { loadCodeTables, type MapContext } from './codes.js'
import { FhirSourceError, fetchBundle } from './http.js'
import { appendPage, mapPage, type FhirStream, type MappedPage } from './page.js'
import { batchTarget, prepareBatch, writeBatch } from './batch.js'
import { toUtcIso, type Bundle } from './schemas.js'
import { collectBulk } from './bulk.js'

const STREAMS: FhirStream[] = ['AuditEvent', 'Consent']

export interface CollectFhirOptions {
  /** Re-reads records dated in this range (inclusive); the cursor is neither read nor moved. */
  backfill?: { from: string; to: string }
}

/** Pages read and mapped but not yet committed, for one stream. */
interface PendingBatch {
  stream: FhirStream
  page: MappedPage
}

/**
 * Collects a practice system's AuditEvents (disclosures, overrides) and Consents (sharing
 * choices) since each stream's cursor. Pages are gathered into batches; each batch is one
 * transaction: its records, its quarantine entries, the cursor move and the run's counts commit
 * together, so a run killed at any point resumes from the last committed batch and a re-run only
 * finds duplicates. Batches commit one at a time, in order; while one commits, the next pages are
 * fetched and mapped (the database and this process work at once, never two transactions).
 * Throws when the source keeps failing, after committing the pages read before the failure;
 * returns early, after committing the pages in hand, when stopped.
 */
export async function collectFhirSource(ctx: JobContext, source: SourceRow, opts: CollectFhirOptions): Promise<void> {
  if (!source.base_url) throw new Error(`FHIR source "${source.name}" has no base URL.`)
  if (source.practice_id === null)
    throw new Error(`FHIR source "${source.name}" belongs to no practice, so its records could not be attributed.`)
  for (const day of opts.backfill ? [opts.backfill.from, opts.backfill.to] : []) {
    if (toUtcIso(day) === null) throw new Error(`Backfill dates must be dates such as 2026-03-01, not "${day}".`)
  }
  if (opts.backfill && source.bulk_export) return collectBulk(ctx, source, opts.backfill)
  const mapContext: MapContext = {
    sourceId: source.id,
    practiceId: source.practice_id,
    pseudonymKey: ctx.config.pseudonymKey,
    codes: await loadCodeTables(ctx.db),
    maxTextChars: ctx.config.http.maxTextChars,
    maxDepth: ctx.config.http.maxDepth,
  }
  const recipientId = organisationCache(ctx.db)
  const base = source.base_url.replace(/\/+$/, '')
  const moveCursor = !opts.backfill
  const target = batchTarget(ctx.config.http.pageSize)

  // The one batch being committed, if any; its failure stops the collection.
  let committing: Promise<void> | null = null
  let commitFailed = false
  const commit = async (batch: PendingBatch) => {
    const prepared = await prepareBatch(ctx.run.id, batch.page, recipientId)
    if (committing) await committing
    committing = writeBatch(ctx, source.id, batch.stream, prepared, moveCursor)
    committing.catch(() => {
      commitFailed = true
    })
  }
  const settle = async () => {
    if (committing) await committing
  }

  for (const stream of STREAMS) {
    const cursor = opts.backfill ? undefined : await getCursor(ctx.db, source.id, stream)
    let url: string | null = searchUrl(base, stream, ctx.config.http.pageSize, { cursor, backfill: opts.backfill })
    let batch: PendingBatch | null = null
    // Every page this run has asked for: a next link back to one of them is a loop, not more data.
    const visited = new Set<string>()
    while (url && !commitFailed) {
      if (ctx.signal.aborted) break
      let bundle: Bundle
      try {
        if (visited.size >= ctx.config.http.maxPages) {
          throw new FhirSourceError(
            `FHIR source still had more ${stream} pages after ${visited.size.toLocaleString('en-GB')} in one run (FHIR_MAX_PAGES); what was read is kept and the next run carries on from there`,
          )
        }
        visited.add(url)
        bundle = await fetchBundle(url, { token: source.token, http: ctx.config.http, stopSignal: ctx.signal })
      } catch (err) {
        // What was read before the failure (or the stop) is kept: commit it, then stop.
        if (batch) await commit(batch)
        await settle()
        if (ctx.signal.aborted) return // stopped mid-request: nothing of this page was committed
        throw err
      }
      const page = mapPage(bundle, stream, mapContext)
      batch = batch ? { stream, page: appendPage(batch.page, page) } : { stream, page }
      let next: string | null
      try {
        next = nextPageUrl(bundle, url, base, visited)
      } catch (err) {
        // This page is good; its link is not: keep the page, then fail.
        await commit(batch)
        await settle()
        throw err
      }
      url = next
      if (batch.page.read >= target || !url) {
        await commit(batch)
        batch = null
      }
    }
    if (batch) await commit(batch)
    if (ctx.signal.aborted || commitFailed) break
  }
  await settle()
}

/** The first page of a stream's search; later pages come from the server's next links. */
function searchUrl(
  base: string,
  stream: FhirStream,
  pageSize: number,
  from: { cursor?: string; backfill?: { from: string; to: string } },
): string {
  const params = new URLSearchParams()
  if (from.backfill) {
    // `date` is AuditEvent.recorded and, in R4, Consent.dateTime.
    params.append('date', `ge${from.backfill.from}`)
    params.append('date', `le${from.backfill.to}`)
  } else if (from.cursor) {
    // ge, not gt: records sharing the cursor's instant may straddle a page boundary; re-reading one is a duplicate, skipping it a loss.
    params.append('_lastUpdated', `ge${from.cursor}`)
  }
  params.append('_sort', '_lastUpdated')
  params.append('_count', String(pageSize))
  return `${base}/${stream}?${params}`
}

function nextPageUrl(bundle: Bundle, current: string, base: string, visited: ReadonlySet<string>): string | null {
  const href = bundle.link?.find((l) => l.relation === 'next')?.url
  if (!href) return null
  const next = new URL(href, current)
  // The bearer token goes with every request, so it never follows a link to another server.
  // The error names no server: the run's error is shown, and the link is the source's to give.
  if (next.origin !== new URL(base).origin) {
    throw new FhirSourceError("FHIR source's next-page link points to another server, where its token will not be sent")
  }
  if (visited.has(next.href)) {
    throw new FhirSourceError(
      `FHIR source's next-page links go round in a circle (back to ${next.pathname} after ${visited.size} pages); what was read is kept`,
    )
  }
  return next.href
}
