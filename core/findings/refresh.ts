import type { Config } from '../../config/env.js'
import type { Db } from '../../db/client.js'
import { evaluateFindings, type EvaluateOptions, type RuleOutcome } from './evaluate.js'

/**
 * The findings job: brings every rule's findings up to date. collect() calls it after its
 * sources (so when `ledger collect` returns, the findings for what it collected are current, and
 * scheduled collections do the same); `ledger findings refresh [--full]` calls it by hand.
 *
 * It is not a runJob run: concurrent refreshes must wait for each other rather than skip (a
 * refresh that skipped could return before the one in progress saw this process's records), so
 * each rule waits on its own transaction-scoped advisory lock instead (see evaluate.ts).
 */

export const REFRESH_FINDINGS_JOB = 'refresh-findings'

export interface RefreshResult {
  mode: 'incremental' | 'full'
  rules: RuleOutcome[]
  opened: number
  reopened: number
  resolved: number
  ms: number
}

export interface RefreshDeps {
  db: Db
  config: Pick<Config, 'overrideReviewDays'>
  log?: (line: string) => void
}

export async function refreshFindings(deps: RefreshDeps, options: EvaluateOptions = {}): Promise<RefreshResult> {
  const started = performance.now()
  const rules = await evaluateFindings(deps.db, {
    ...options,
    settings: { overrideReviewDays: deps.config.overrideReviewDays, ...options.settings },
  })
  const sum = (k: 'opened' | 'reopened' | 'resolved') => rules.reduce((n, r) => n + r[k], 0)
  const result: RefreshResult = {
    mode: options.mode ?? 'incremental',
    rules,
    opened: sum('opened'),
    reopened: sum('reopened'),
    resolved: sum('resolved'),
    ms: Math.round(performance.now() - started),
  }
  if (result.opened || result.reopened || result.resolved) {
    deps.log?.(`findings: ${result.opened} opened, ${result.reopened} reopened, ${result.resolved} resolved (${result.ms} ms)`)
  }
  return result
}
