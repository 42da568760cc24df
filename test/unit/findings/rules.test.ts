import { describe, expect, it } from 'vitest'
import { DEFAULT_FINDING_SETTINGS, resolveSettings } from '../../../core/findings/evaluate.js'
import { RULES, RULE_IDS, getRule } from '../../../core/findings/index.js'
import type { RuleParams } from '../../../core/findings/types.js'
import { disclosureCandidates } from '../../../core/findings/fragments.js'
import { sql, Sql } from '../../../db/sql.js'
import { generateDataset } from '../../../simulator/data.js'

describe('the rule list', () => {
  it('has every rule of issue 6, with the agreed severities', () => {
    expect(Object.fromEntries(RULES.map((r) => [r.id, r.severity]))).toEqual({
      optout_disclosure: 'high',
      prohibited_purpose: 'high',
      no_agreement: 'medium',
      excess_identifiable: 'medium',
      dissent_direct_care: 'high',
      unreviewed_override: 'medium',
      silent_source: 'medium',
      quarantine_growing: 'low',
      ndop_count_mismatch: 'medium',
      secondary_without_consent: 'high',
      recipient_unassured: 'medium',
      outside_notice: 'medium',
    })
    expect(new Set(RULE_IDS).size).toBe(RULES.length)
  })

  it('covers every rule the simulator plants a violation of', () => {
    const planted = new Set(generateDataset({ practices: 1, days: 10, seed: 5 }).planted.map((p) => p.rule))
    for (const rule of planted) expect(getRule(rule), rule).toBeDefined()
  })

  it('explains each rule in plain English, naming a Caldicott principle or the notice’s promise', () => {
    for (const rule of RULES) {
      expect(rule.title.length, rule.id).toBeLessThan(60)
      expect(rule.explanation.length, rule.id).toBeGreaterThan(150)
      expect(rule.explanation, rule.id).toMatch(/Caldicott|notice/)
      expect(rule.explanation, rule.id).not.toMatch(/\b(SQL|jsonb|subject_key|NULL)\b/)
    }
  })
})

describe('resolveSettings', () => {
  it('fills in the defaults and keeps what is given', () => {
    expect(resolveSettings()).toEqual(DEFAULT_FINDING_SETTINGS)
    expect(DEFAULT_FINDING_SETTINGS).toEqual({
      overrideReviewDays: 7,
      dissentOverrideWindowHours: 24,
      ndopMargin: 0.1,
      quarantineMaxPending: 50,
    })
    expect(resolveSettings({ overrideReviewDays: 3, ndopMargin: undefined })).toMatchObject({ overrideReviewDays: 3, ndopMargin: 0.1 })
  })

  it('refuses settings that make no sense', () => {
    expect(() => resolveSettings({ overrideReviewDays: 1.5 })).toThrow(/overrideReviewDays/)
    expect(() => resolveSettings({ ndopMargin: -0.1 })).toThrow(/ndopMargin/)
    expect(() => resolveSettings({ quarantineMaxPending: -1 })).toThrow(/quarantineMaxPending/)
  })
})

describe('the rule SQL', () => {
  it('binds values as parameters and splices only fragments', () => {
    const name = "O'Brien; DROP TABLE findings"
    const q = sql`SELECT ${name} AS a, ${sql`${2}::int`} AS b`
    expect(q).toBeInstanceOf(Sql)
    expect(q.text).toBe('SELECT ? AS a, ?::int AS b')
    expect(q.values).toEqual([name, 2])
  })

  const params = (scope: RuleParams['scope']): RuleParams => ({
    ruleId: 'no_agreement',
    severity: 'medium',
    now: '2026-11-23T12:00:00.000Z',
    scope,
    settings: DEFAULT_FINDING_SETTINGS,
  })

  it('checks every disclosure in a full evaluation, and only the candidates in an incremental one', () => {
    const full = getRule('no_agreement')!.query.violations(params({ kind: 'full', practiceIds: null }))
    expect(full.text).not.toMatch(/collected_at >=/)
    const some = getRule('no_agreement')!.query.violations(params({ kind: 'full', practiceIds: [4, 5] }))
    expect(some.values).toContain('{4,5}')
    const scope = {
      kind: 'incremental' as const,
      since: '2026-11-23T11:00:00.000Z',
      previousNow: '2026-11-23T11:00:00.000Z',
      recipients: [7],
    }
    const incremental = getRule('no_agreement')!.query.violations(params(scope))
    // Incrementally, the rule checks the candidates applyRule puts before it (decision 042) ...
    expect(incremental.text).toMatch(/d\.id IN \(SELECT id FROM checked\)/)
    expect(incremental.text).not.toMatch(/collected_at >=/)
    // ... the disclosures collected since, those of findings a person reopened, those to the recipients whose agreements changed.
    const candidates = disclosureCandidates('no_agreement', scope, getRule('no_agreement')!.dependsOn!)
    expect(candidates.text).toMatch(/x\.collected_at >= \?::timestamptz/)
    expect(candidates.text).toMatch(/e\.by_user_id IS NOT NULL/)
    expect(candidates.values).toEqual(['2026-11-23T11:00:00.000Z', '2026-11-23T11:00:00.000Z', 'no_agreement', '{7}'])
    // The text holds exactly one placeholder per value.
    for (const q of [full, some, incremental, candidates]) expect(q.text.split('?').length - 1).toBe(q.values.length)
  })

  it('never splices a value into any rule’s text', () => {
    for (const { id, query } of RULES) {
      const scopes: RuleParams['scope'][] = [
        { kind: 'full', practiceIds: [1] },
        { kind: 'incremental', since: '2026-11-23T11:00:00.000Z', previousNow: '2026-11-22T11:00:00.000Z', recipients: [3] },
      ]
      for (const scope of scopes) {
        const p = { ...params(scope), ruleId: id }
        const candidates = scope.kind === 'incremental' ? [disclosureCandidates(id, scope, getRule(id)!.dependsOn ?? {})] : []
        for (const q of [query.violations(p), query.resolution(p), ...candidates]) {
          expect(q.text.split('?').length - 1, id).toBe(q.values.length)
          expect(q.text, id).not.toContain('2026-11-2')
        }
      }
    }
  })
})
