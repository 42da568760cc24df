import type { Db } from '../../db/client.js'
import { dsptDigest, noticeDigest } from '../../db/queries/notices.js'
import { applyRule, type RuleCounts } from './apply.js'
import { disclosureCandidates } from './fragments.js'
import { RULES, type RuleId } from './index.js'
import type { FindingRule, FindingSettings, RuleScope } from './types.js'
import { agreementDigests, collectedThrough, databaseNow, getWatermark, lockRule, referenceDigest, saveWatermark } from './watermarks.js'

/**
 * Evaluates the compliance rules and brings `findings` up to date (docs/decisions/008).
 *
 * Incremental (the default): each rule keeps a watermark row; it re-checks only the records
 * collected since (collected_at >= watermark), the records that changed patient choices,
 * overrides or agreements affect and what became due since its last evaluation; a rule over
 * overrides also re-checks its open findings (a review resolves them), a rule over disclosures
 * does not (decision 042: what can change their answer is tracked). Full: every record, as if for the first time; a rule without a watermark, whose
 * settings or reference codes changed, or whose version changed is evaluated in full anyway.
 *
 * Each rule runs in its own transaction under an advisory lock, so its findings, their history
 * and its watermark commit together: a refresh killed halfway loses nothing and the next one
 * carries on. Running it twice changes nothing the second time.
 */

export const DEFAULT_FINDING_SETTINGS: FindingSettings = {
  overrideReviewDays: 7,
  dissentOverrideWindowHours: 24,
  ndopMargin: 0.1,
  quarantineMaxPending: 50,
}

export interface EvaluateOptions {
  mode?: 'incremental' | 'full'
  /** Full mode only: re-evaluate just these practices' records (watermarks are left as they are). */
  practiceIds?: number[]
  /** The evaluation's "now" (overdue reviews, silent sources); the database's clock by default. */
  now?: Date
  /** Only these rules (default: all). */
  rules?: RuleId[]
  settings?: Partial<FindingSettings>
}

export interface RuleOutcome extends RuleCounts {
  ruleId: RuleId
  mode: 'incremental' | 'full'
  ms: number
}

export async function evaluateFindings(db: Db, options: EvaluateOptions = {}): Promise<RuleOutcome[]> {
  const settings = resolveSettings(options.settings)
  if (options.practiceIds && options.mode !== 'full') {
    throw new Error('practiceIds only narrow a full re-evaluation; an incremental one always covers every practice.')
  }
  const now = options.now ? options.now.toISOString() : await databaseNow(db)
  const rules = options.rules ? RULES.filter((r) => options.rules!.includes(r.id)) : RULES
  const outcomes: RuleOutcome[] = []
  for (const rule of rules) outcomes.push(await evaluateRule(db, rule, { ...options, now, settings }))
  return outcomes
}

export function resolveSettings(given: Partial<FindingSettings> = {}): FindingSettings {
  const s = { ...DEFAULT_FINDING_SETTINGS, ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) }
  if (!Number.isInteger(s.overrideReviewDays) || s.overrideReviewDays < 0)
    throw new RangeError('overrideReviewDays must be a whole number of days.')
  if (!Number.isInteger(s.dissentOverrideWindowHours) || s.dissentOverrideWindowHours < 0)
    throw new RangeError('dissentOverrideWindowHours must be a whole number of hours.')
  if (!(s.ndopMargin >= 0 && s.ndopMargin < 10)) throw new RangeError('ndopMargin must be a fraction such as 0.1 (10%).')
  if (!Number.isInteger(s.quarantineMaxPending) || s.quarantineMaxPending < 0)
    throw new RangeError('quarantineMaxPending must be a whole number.')
  return s
}

async function evaluateRule(
  db: Db,
  rule: FindingRule<RuleId>,
  o: { mode?: 'incremental' | 'full'; practiceIds?: number[]; now: string; settings: FindingSettings },
): Promise<RuleOutcome> {
  const started = performance.now()
  return db.transaction(async (trx) => {
    await lockRule(trx, rule.id)
    const through = await collectedThrough(trx)
    const reads = rule.dependsOn ?? {}
    // The settings a rule's answers depend on, the reference codes, and a notice or DSPT status
    // recorded or changed can change any old answer: a different fingerprint means a full re-evaluation.
    const fingerprint = JSON.stringify({
      version: rule.version,
      settings: Object.fromEntries((reads.settings ?? []).map((k) => [k, o.settings[k]])),
      ...(rule.subject === 'disclosure' ? { codes: await referenceDigest(trx) } : {}),
      ...(reads.notices ? { notices: await noticeDigest(trx) } : {}),
      ...(reads.dspt ? { dspt: await dsptDigest(trx) } : {}),
    })
    const agreements = reads.agreements ? await agreementDigests(trx) : undefined
    const previous = await getWatermark(trx, rule.id)

    const full =
      o.mode === 'full' ||
      !rule.incremental ||
      !previous ||
      previous.fingerprint !== fingerprint ||
      // Evaluating "as of" an earlier moment than last time: due dates cannot be reasoned about incrementally.
      new Date(o.now) < previous.evaluated_at
    const scope: RuleScope = full
      ? { kind: 'full', practiceIds: o.practiceIds ?? null }
      : {
          kind: 'incremental',
          since: previous.collected_through.toISOString(),
          previousNow: previous.evaluated_at.toISOString(),
          recipients: agreements ? changedKeys(previous.state.agreements ?? {}, agreements) : [],
        }
    // A disclosure rule checks, incrementally, only the disclosures whose answer may have changed.
    const candidates =
      scope.kind === 'incremental' && rule.subject === 'disclosure' ? disclosureCandidates(rule.id, scope, reads) : undefined
    const params = { ruleId: rule.id, severity: rule.severity, now: o.now, scope, settings: o.settings }
    const counts = await applyRule(trx, rule.query, params, candidates)
    // A full re-evaluation of some practices only says nothing about the others: keep the watermark.
    if (!(full && o.practiceIds)) {
      await saveWatermark(trx, {
        ruleId: rule.id,
        fingerprint,
        collectedThrough: through,
        evaluatedAt: o.now,
        state: agreements ? { agreements } : {},
      })
    }
    return { ruleId: rule.id, mode: full ? 'full' : 'incremental', ...counts, ms: Math.round(performance.now() - started) }
  })
}

/** Recipients whose agreements were added, changed or removed. */
function changedKeys(before: Record<string, string>, after: Record<string, string>): number[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)])
  return [...keys].filter((k) => before[k] !== after[k]).map(Number)
}
