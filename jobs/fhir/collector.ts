import { organisationCache, type OrganisationInput } from '../../db/queries/organisations.js'
import {
  quarantineRecords,
  resolveQuarantined,
  upsertDisclosures,
  upsertOverrideEvents,
  upsertPatientChoices,
  type DisclosureRecord,
  type OverrideEventRecord,
  type WriteCounts,
} from '../../db/queries/records.js'
import { advanceCursor, getCursor, type SourceRow } from '../../db/queries/sources.js'
import type { JobContext } from '../runner.js'
import { loadCodeTables, type MapContext } from './codes.js'
import { FhirSourceError, fetchBundle } from './http.js'
import { mapPage, type FhirStream, type MappedPage } from './page.js'
import { toUtcIso, type Bundle } from './schemas.js'

const STREAMS: FhirStream[] = ['AuditEvent', 'Consent']

export interface CollectFhirOptions {
  /** Re-reads records dated in this range (inclusive); the cursor is neither read nor moved. */
  backfill?: { from: string; to: string }
}

/**
 * Collects a practice system's AuditEvents (disclosures, overrides) and Consents (sharing
 * choices) since each stream's cursor. Each page is one transaction: its records, its
 * quarantine entries, the cursor move and the run's counts commit together, so a run killed at
 * any point resumes from the last committed page and a re-run only finds duplicates.
 * Throws when the source keeps failing; returns early, after a committed page, when stopped.
 */
export async function collectFhirSource(ctx: JobContext, source: SourceRow, opts: CollectFhirOptions): Promise<void> {
  if (!source.base_url) throw new Error(`FHIR source "${source.name}" has no base URL.`)
  if (source.practice_id === null) throw new Error(`FHIR source "${source.name}" belongs to no practice, so its records could not be attributed.`)
  for (const day of opts.backfill ? [opts.backfill.from, opts.backfill.to] : []) {
    if (toUtcIso(day) === null) throw new Error(`Backfill dates must be dates such as 2026-03-01, not "${day}".`)
  }
  const mapContext: MapContext = {
    sourceId: source.id,
    practiceId: source.practice_id,
    pseudonymKey: ctx.config.pseudonymKey,
    codes: await loadCodeTables(ctx.db),
  }
  const recipientId = organisationCache(ctx.db)
  const base = source.base_url.replace(/\/+$/, '')

  for (const stream of STREAMS) {
    const cursor = opts.backfill ? undefined : await getCursor(ctx.db, source.id, stream)
    let url: string | null = searchUrl(base, stream, ctx.config.http.pageSize, { cursor, backfill: opts.backfill })
    while (url) {
      if (ctx.signal.aborted) return
      let bundle: Bundle
      try {
        bundle = await fetchBundle(url, { token: source.token, http: ctx.config.http, stopSignal: ctx.signal })
      } catch (err) {
        if (ctx.signal.aborted) return // stopped mid-request: nothing of this page was committed
        throw err
      }
      const page = mapPage(bundle, stream, mapContext)
      await commitPage(ctx, source.id, stream, page, recipientId, !opts.backfill)
      url = nextPageUrl(bundle, url, base)
    }
  }
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

function nextPageUrl(bundle: Bundle, current: string, base: string): string | null {
  const href = bundle.link?.find((l) => l.relation === 'next')?.url
  if (!href) return null
  const next = new URL(href, current)
  // The bearer token goes with every request, so it never follows a link to another server.
  if (next.origin !== new URL(base).origin) {
    throw new FhirSourceError(`FHIR source's next-page link points to another server (${next.origin}), where its token will not be sent`)
  }
  if (next.href === new URL(current).href) throw new FhirSourceError(`FHIR source's next-page link repeats the page it is on (${next.pathname})`)
  return next.href
}

async function commitPage(
  ctx: JobContext,
  sourceId: number,
  stream: FhirStream,
  page: MappedPage,
  recipientId: (org: OrganisationInput) => Promise<number>,
  moveCursor: boolean,
): Promise<void> {
  const runId = ctx.run.id
  // Recipients are shared reference data, created before the batch's transaction: one that
  // outlives a rolled-back batch is harmless, and the transaction stays short.
  const disclosures: DisclosureRecord[] = []
  for (const { recipient, ...d } of page.disclosures) disclosures.push({ ...d, recipient_id: await recipientId(recipient), run_id: runId })
  const overrides: OverrideEventRecord[] = []
  for (const { recipient, ...o } of page.overrides) {
    overrides.push({ ...o, recipient_id: recipient ? await recipientId(recipient) : null, run_id: runId })
  }
  const choices = page.choices.map((c) => ({ ...c, run_id: runId }))

  await ctx.commitBatch(async (trx) => {
    const written: WriteCounts[] = [
      await upsertDisclosures(trx, disclosures),
      await upsertOverrideEvents(trx, overrides),
      await upsertPatientChoices(trx, choices),
    ]
    const quarantined = await quarantineRecords(trx, page.quarantine.map((q) => ({ ...q, sourceId, runId })))
    await resolveQuarantined(trx, sourceId, page.loadedKeys, `loaded in run ${runId}`)
    if (moveCursor && page.highWaterMark) await advanceCursor(trx, sourceId, stream, page.highWaterMark, runId)
    const total = (k: keyof WriteCounts) => written.reduce((n, w) => n + w[k], 0)
    return { read: page.read, inserted: total('inserted'), updated: total('updated'), duplicates: total('duplicates'), quarantined }
  })
}
