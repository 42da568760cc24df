import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { indexCodeTables, type MapContext } from '../../../jobs/fhir/codes.js'
import { mapAuditEvent } from '../../../jobs/fhir/map-audit-event.js'
import { mapConsent } from '../../../jobs/fhir/map-consent.js'
import { AuditEventSchema, BundleSchema, ConsentSchema, toUtcIso } from '../../../jobs/fhir/schemas.js'
import { isAuditEvent, isBundle, isConsent } from '../../../jobs/fhir/validate.js'
import { pseudonymiseLocalReference, pseudonymiseNhsNumber } from '../../../jobs/pseudonym.js'
import { generatePractice } from '../../../simulator/data.js'

// The collector's hand-written checks stand in for zod on the hot path. They may refuse what zod
// accepts (zod then decides), but must never accept what zod refuses, and what they accept must
// map exactly as zod's parsed copy does.

type Json = any
const dir = new URL('../../fixtures/fhir/', import.meta.url)
const fixtures: Json[] = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(new URL(f, dir), 'utf8')))
const simulated = generatePractice({ practices: 1, days: 3, seed: 11, eventsPerPracticePerDay: 40, endDate: '2026-03-01' }, 0)
const resources: Json[] = [...fixtures, ...simulated.auditEvents, ...simulated.consents.slice(0, 200)].map((r) =>
  JSON.parse(JSON.stringify(r)),
)

const REPLACEMENTS: unknown[] = [
  undefined,
  null,
  0,
  true,
  'x',
  '',
  [],
  {},
  [null],
  [{}],
  [1],
  '2015-02-30',
  '2015-11-18T10:00:00',
  '2015-11-18T10:00:00Z',
  'deny',
]

/** Every variant of `value` with one element deleted or replaced by something of another shape. */
function* mutations(value: Json): Generator<Json> {
  const paths: Array<Array<string | number>> = []
  const walk = (v: Json, path: Array<string | number>) => {
    if (path.length > 0) paths.push(path)
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]))
    else if (v && typeof v === 'object') for (const k of Object.keys(v)) walk(v[k], [...path, k])
  }
  walk(value, [])
  for (const path of paths) {
    for (const replacement of REPLACEMENTS) {
      const copy = structuredClone(value)
      let parent = copy
      for (const step of path.slice(0, -1)) parent = parent[step]
      const last = path[path.length - 1]!
      if (replacement === undefined) {
        if (Array.isArray(parent)) parent.splice(last as number, 1)
        else delete parent[last]
      } else {
        parent[last] = structuredClone(replacement)
      }
      yield copy
    }
  }
}

const ctx: MapContext = {
  maxTextChars: 1000,
  maxDepth: 64,
  sourceId: 1,
  practiceId: 1,
  pseudonymKey: 'unit-test-pseudonym-key-0123456789abcdef',
  codes: indexCodeTables({ purposeCodes: [], choiceCodes: [], legalBases: [], recipientTypes: [] }),
}

describe('hand-written FHIR checks', () => {
  it('accept the published examples and everything the simulator serves', () => {
    for (const r of resources) {
      const schema = r.resourceType === 'AuditEvent' ? AuditEventSchema : ConsentSchema
      if (!schema.safeParse(r).success) continue // a malformed record the simulator plants on purpose
      expect(r.resourceType === 'AuditEvent' ? isAuditEvent(r) : isConsent(r), r.id).toBe(true)
    }
  })

  it('never accept a resource zod refuses, whatever element is missing or misshapen', () => {
    let checked = 0
    for (const r of [...fixtures, ...simulated.auditEvents.slice(0, 20), ...simulated.consents.slice(0, 20)]) {
      for (const variant of mutations(r)) {
        if (isAuditEvent(variant)) expect(AuditEventSchema.safeParse(variant).success, JSON.stringify(variant)).toBe(true)
        if (isConsent(variant)) expect(ConsentSchema.safeParse(variant).success, JSON.stringify(variant)).toBe(true)
        checked++
      }
    }
    expect(checked).toBeGreaterThan(10_000)
  })

  it('map a resource they accept exactly as zod would have', () => {
    for (const r of resources) {
      if (r.resourceType === 'AuditEvent' && isAuditEvent(r)) {
        expect(mapAuditEvent(r, ctx)).toEqual(mapAuditEvent(AuditEventSchema.parse(r), ctx))
      } else if (r.resourceType === 'Consent' && isConsent(r)) {
        expect(mapConsent(r, ctx)).toEqual(mapConsent(ConsentSchema.parse(r), ctx))
      }
    }
  })

  it('check a Bundle as zod does, entries left unread', () => {
    const bundle = {
      resourceType: 'Bundle',
      link: [{ relation: 'next', url: 'http://x/AuditEvent?_count=2' }],
      entry: [{ resource: resources[0], search: { mode: 'match' } }, { resource: 'anything' }, {}],
    }
    expect(isBundle(bundle)).toBe(true)
    let checked = 0
    for (const variant of mutations({ ...bundle, entry: [{ resource: {}, search: { mode: 'match' } }, {}] })) {
      if (isBundle(variant)) expect(BundleSchema.safeParse(variant).success, JSON.stringify(variant)).toBe(true)
      else expect(BundleSchema.safeParse(variant).success, JSON.stringify(variant)).toBe(false)
      checked++
    }
    expect(checked).toBeGreaterThan(100)
  })
})

describe('toUtcIso on UTC instants with milliseconds (the fast path)', () => {
  it('gives what Date gives, and refuses days a month does not have', () => {
    for (let i = 0; i < 5000; i++) {
      const v = new Date(Date.UTC(1990, 0, 1) + Math.floor(Math.random() * 60 * 365 * 86_400_000)).toISOString()
      expect(toUtcIso(v)).toBe(v)
    }
    expect(toUtcIso('2016-02-29T10:00:00.000Z')).toBe('2016-02-29T10:00:00.000Z')
    expect(
      ['2015-02-29T10:00:00.000Z', '2015-04-31T10:00:00.000Z', '2015-13-01T10:00:00.000Z', '2015-01-01T24:00:00.000Z'].map(toUtcIso),
    ).toEqual([null, null, null, null])
  })
})

describe('pseudonyms (key imported once, memoised per key)', () => {
  it('are the same as before the memo, whichever key and however often asked', () => {
    // Values from the implementation that made a fresh HMAC from the key string every time.
    for (let round = 0; round < 3; round++) {
      expect(pseudonymiseNhsNumber('key-one-0123456789abcdef', round === 1 ? '943 476 5919' : '9434765919')).toBe('P-M7EC-6YGB-V7PP')
      expect(pseudonymiseNhsNumber('key-two-0123456789abcdef', '9434765919')).toBe('P-XN43-R262-2TCT')
      expect(pseudonymiseLocalReference('key-one-0123456789abcdef', 7, 'Patient/123')).toBe('P-KQPX-FWR3-DEE3')
    }
  })
})
