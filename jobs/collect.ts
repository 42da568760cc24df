import type { Db } from '../db/client.js'
import { getPracticeByOds } from '../db/queries/practices.js'
import { listSources, type SourceRow } from '../db/queries/sources.js'
import { collectFhirSource } from './fhir/collector.js'
import { refreshFindings } from '../core/findings/refresh.js'
import { runJob, summariseRun, type RunnerDeps, type RunSummary } from './runner.js'

export const COLLECT_JOB = 'collect'

export interface SourceResult extends RunSummary {
  sourceId: number
  source: string
  practice: string | null
}

export type Selection = { sourceId: number } | { practiceOds: string } | { all: true }

export interface CollectOptions {
  trigger?: 'schedule' | 'manual' | 'backfill'
  /** Re-reads a date range (inclusive days) without moving the cursor. */
  backfill?: { from: string; to: string }
}

/** Resolves a selection to the FHIR sources it names; an unknown practice or source is an error. */
export async function selectSources(db: Db, selection: Selection): Promise<SourceRow[]> {
  if ('sourceId' in selection) {
    const sources = (await listSources(db, { kind: 'fhir' })).filter((s) => s.id === selection.sourceId)
    if (sources.length === 0) throw new Error(`There is no FHIR source with id ${selection.sourceId}.`)
    return sources
  }
  if ('practiceOds' in selection) {
    const practice = await getPracticeByOds(db, selection.practiceOds)
    if (!practice) throw new Error(`There is no practice with ODS code ${selection.practiceOds}.`)
    return listSources(db, { kind: 'fhir', practiceId: practice.id, enabledOnly: true })
  }
  return listSources(db, { kind: 'fhir', enabledOnly: true })
}

/** Collects one source in its own run; a failure is recorded on the run, never thrown. */
export async function collectSource(deps: RunnerDeps, source: SourceRow, options: CollectOptions = {}): Promise<SourceResult> {
  const practice = source.practice_id
    ? ((await deps.db('practices').where({ id: source.practice_id }).first('ods_code'))?.ods_code ?? null)
    : null
  const outcome = await runJob(
    deps,
    {
      jobName: COLLECT_JOB,
      sourceId: source.id,
      trigger: options.backfill ? 'backfill' : (options.trigger ?? 'manual'),
      params: options.backfill ? { backfill: options.backfill } : undefined,
    },
    (ctx) => collectFhirSource(ctx, source, { backfill: options.backfill }),
  )
  return { sourceId: source.id, source: source.name, practice, ...summariseRun(outcome) }
}

/**
 * Collects every selected source, one after another. Sources are independent: one that keeps
 * failing is marked failed and the others still run.
 */
export async function collect(deps: RunnerDeps, selection: Selection, options: CollectOptions = {}): Promise<SourceResult[]> {
  const sources = await selectSources(deps.db, selection)
  const results: SourceResult[] = []
  for (const source of sources) {
    if (deps.signal?.aborted) break
    results.push(await collectSource(deps, source, options))
  }
  // Compliance findings for what was just collected (issue 6). The refresh is incremental and
  // covers every record collected since the last one, these practices' included; a failure is
  // logged, not thrown: the collection itself succeeded, and the next refresh catches up.
  if (sources.length > 0) {
    try {
      await refreshFindings(deps)
    } catch (err) {
      const log = deps.log ?? console.error
      log(`findings refresh after collection failed: ${(err as Error).message}`)
    }
  }
  return results
}
