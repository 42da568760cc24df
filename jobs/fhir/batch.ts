import type { OrganisationInput } from '../../db/queries/organisations.js'
import {
  quarantineRecords,
  resolveQuarantined,
  upsertDisclosures,
  upsertOverrideEvents,
  upsertPatientChoices,
  type DisclosureRecord,
  type OverrideEventRecord,
  type PatientChoiceRecord,
  type WriteCounts,
} from '../../db/queries/records.js'
import { advanceCursor } from '../../db/queries/sources.js'
import type { JobContext } from '../runner.js'
import type { FhirStream, MappedPage } from './page.js'

// Writing a mapped batch, shared by the paged collector (collector.ts) and the bulk reader (bulk.ts).

/**
 * How many records one batch (one transaction) gathers: up to PAGES_PER_BATCH pages, and no more
 * than BATCH_RECORDS records. A statement's fixed costs (round trips, the roll-up triggers,
 * planning) are paid per batch, so small FHIR pages need not mean small transactions; the page
 * size still sets the grain, so a stop request or a crash loses at most a few pages' work.
 */
export const PAGES_PER_BATCH = 4
export const BATCH_RECORDS = 2000
export const batchTarget = (pageSize: number) => Math.max(1, Math.min(BATCH_RECORDS, pageSize * PAGES_PER_BATCH))

export interface PreparedBatch {
  page: MappedPage
  disclosures: DisclosureRecord[]
  overrides: OverrideEventRecord[]
  choices: PatientChoiceRecord[]
}

/**
 * Gives a batch's records their recipients' ids. Recipients are shared reference data, created
 * outside the batch's transaction: one that outlives a rolled-back batch is harmless, and the
 * transaction stays short.
 */
export async function prepareBatch(
  runId: number,
  page: MappedPage,
  recipientId: (org: OrganisationInput) => Promise<number>,
): Promise<PreparedBatch> {
  const disclosures: DisclosureRecord[] = []
  for (const { recipient, ...d } of page.disclosures) disclosures.push({ ...d, recipient_id: await recipientId(recipient), run_id: runId })
  const overrides: OverrideEventRecord[] = []
  for (const { recipient, ...o } of page.overrides) {
    overrides.push({ ...o, recipient_id: recipient ? await recipientId(recipient) : null, run_id: runId })
  }
  const choices = page.choices.map((c) => ({ ...c, run_id: runId }))
  return { page, disclosures, overrides, choices }
}

/** Writes one batch in one transaction; `also` runs in it too (the bulk reader's progress, decision 037). */
export async function writeBatch(
  ctx: JobContext,
  sourceId: number,
  stream: FhirStream,
  batch: PreparedBatch,
  moveCursor: boolean,
  also?: (trx: JobContext['db']) => Promise<void>,
): Promise<void> {
  const runId = ctx.run.id
  const { page, disclosures, overrides, choices } = batch
  await ctx.commitBatch(async (trx) => {
    const written: WriteCounts[] = [
      await upsertDisclosures(trx, disclosures),
      await upsertOverrideEvents(trx, overrides),
      await upsertPatientChoices(trx, choices),
    ]
    const quarantined = await quarantineRecords(
      trx,
      page.quarantine.map((q) => ({ ...q, sourceId, runId })),
    )
    await resolveQuarantined(trx, sourceId, page.loadedKeys, `loaded in run ${runId}`)
    if (moveCursor && page.highWaterMark) await advanceCursor(trx, sourceId, stream, page.highWaterMark, runId)
    if (also) await also(trx)
    const total = (k: keyof WriteCounts) => written.reduce((n, w) => n + w[k], 0)
    return { read: page.read, inserted: total('inserted'), updated: total('updated'), duplicates: total('duplicates'), quarantined }
  })
}
