import type { AuditEvent, Consent } from 'fhir/r4'
import { beforeAll, describe, expect, it } from 'vitest'
import { isValidNhsNumber } from '../../../jobs/pseudonym.js'
import { SYSTEMS } from '../../../simulator/fhir.js'
import {
  NDOP_COLUMNS,
  demoAgreements,
  generateDataset,
  generatePractice,
  ndopCsv,
  practiceProfiles,
  type Dataset,
  type DemoAgreement,
  type RuleId,
} from '../../../simulator/data.js'

const nhsNumberOf = (ref: { identifier?: { system?: string; value?: string } } | undefined) =>
  ref?.identifier?.system === SYSTEMS.nhsNumber ? ref.identifier.value : undefined
const patientOf = (e: AuditEvent) => e.entity?.map((x) => nhsNumberOf(x.what)).find(Boolean)
const isDisclosure = (e: AuditEvent) => e.type?.code === '110106'
const isOverride = (e: AuditEvent) => e.type?.code === '110113'
const v3Codes = (e: AuditEvent) =>
  (e.purposeOfEvent ?? [])
    .flatMap((c) => c.coding ?? [])
    .filter((c) => c.system === SYSTEMS.v3ActReason)
    .map((c) => c.code!)

/** What is not FHIR R4 about a resource (R5 renamed or restructured these elements). */
function r4Problems(resource: AuditEvent | Consent): string[] {
  const raw = resource as unknown as Record<string, unknown>
  const problems: string[] = []
  if (resource.resourceType === 'AuditEvent') {
    for (const field of ['category', 'code', 'occurredDateTime', 'occurredPeriod', 'authorization', 'patient'])
      if (field in raw) problems.push(`has R5 ${field}`)
    if (typeof resource.type?.code !== 'string' || 'coding' in (resource.type ?? {})) problems.push('type is not one Coding')
    if (typeof resource.recorded !== 'string') problems.push('no recorded')
    if (typeof resource.outcome !== 'string' && resource.outcome !== undefined) problems.push('outcome is not a code')
    if (!resource.agent?.length || resource.agent.some((a) => typeof a.requestor !== 'boolean')) problems.push('agent.requestor missing')
    if (!resource.source?.observer) problems.push('no source.observer')
  } else {
    for (const field of ['decision', 'subject', 'date', 'grantor', 'period']) if (field in raw) problems.push(`has R5 ${field}`)
    if (!['draft', 'proposed', 'active', 'rejected', 'inactive', 'entered-in-error'].includes(resource.status)) problems.push('bad status')
    if (!resource.scope?.coding?.length) problems.push('no scope')
    if (!resource.category?.length) problems.push('no category')
    if (!resource.policyRule && !resource.policy) problems.push('no policyRule')
    if (Array.isArray(resource.provision)) problems.push('provision is a list')
  }
  return problems
}

let dataset: Dataset
let agreements: DemoAgreement[]
beforeAll(() => {
  dataset = generateDataset({ seed: 11 })
  agreements = demoAgreements(dataset)
})

describe('generateDataset', () => {
  it('is a pure function of its options', () => {
    const options = { practices: 2, days: 30, seed: 4 }
    const a = JSON.stringify(generateDataset(options))
    expect(JSON.stringify(generateDataset(options))).toBe(a)
    expect(JSON.stringify(generateDataset({ ...options, seed: 5 }))).not.toBe(a)
    expect(ndopCsv(generateDataset(options), { achDate: '2026-11-01' })).toBe(ndopCsv(generateDataset(options), { achDate: '2026-11-01' }))
  })

  it('generates one practice on its own exactly as part of the whole', () => {
    expect(JSON.stringify(generatePractice({ seed: 11 }, 1))).toBe(JSON.stringify(dataset.practices[1]))
    expect(practiceProfiles({ seed: 11 })).toEqual(dataset.practices.map((p) => p.practice))
  })

  it('refuses impossible options with a sentence', () => {
    expect(() => generateDataset({ practices: 0 })).toThrow(/practices must be a whole number from 1 to 500/)
    expect(() => generateDataset({ endDate: '2026-02-30' })).toThrow(/endDate must be a date/)
    expect(() => generateDataset({ days: 1.5 })).toThrow(/days must be/)
  })

  it('describes practices with ODS codes, list sizes and an ICB', () => {
    for (const { practice } of dataset.practices) {
      expect(practice.odsCode).toMatch(/^[A-Z][0-9]{5}$/)
      expect(practice.icbCode).toBe('QHM')
      expect(practice.listSize).toBeGreaterThanOrEqual(6000)
      expect(practice.listSize).toBeLessThanOrEqual(14000)
    }
    expect(new Set(dataset.practices.map((p) => p.practice.name)).size).toBe(3)
  })

  it('names patients by valid NHS numbers, never the same patient at two practices', () => {
    const invalid = new Set(dataset.malformed.filter((m) => m.problem === 'invalid_nhs_number').map((m) => m.resourceId))
    const owners = new Map<string, string>()
    for (const p of dataset.practices) {
      const numbered = [
        ...p.auditEvents.filter((e) => !invalid.has(e.id!)).map(patientOf),
        ...p.consents.map((c) => nhsNumberOf(c.patient)),
      ].filter((n): n is string => n !== undefined)
      expect(numbered.length).toBeGreaterThan(1000)
      for (const n of numbered) {
        expect(isValidNhsNumber(n), n).toBe(true)
        expect(owners.get(n) ?? p.practice.odsCode).toBe(p.practice.odsCode)
        owners.set(n, p.practice.odsCode)
      }
      for (const e of p.auditEvents.filter((e) => invalid.has(e.id!))) expect(isValidNhsNumber(patientOf(e)!)).toBe(false)
    }
  })

  it('keeps every resource FHIR R4, except the one planted R5 record per practice', () => {
    const r5 = new Set(dataset.malformed.filter((m) => m.problem === 'r5_shape').map((m) => m.resourceId))
    expect(r5.size).toBe(3)
    for (const p of dataset.practices) {
      for (const resource of [...p.auditEvents, ...p.consents]) {
        expect(r4Problems(resource).length > 0, `${resource.id}: ${r4Problems(resource).join(', ')}`).toBe(r5.has(resource.id!))
      }
    }
  })

  it('orders records by a unique lastUpdated inside the period, after the event itself', () => {
    const periodEnd = Date.parse('2026-11-02T00:00:00Z')
    const periodStart = periodEnd - 90 * 86_400_000
    for (const p of dataset.practices) {
      for (const list of [p.auditEvents, p.consents]) {
        const times = list.map((r) => Date.parse(r.meta!.lastUpdated!))
        for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThan(times[i - 1]!)
        expect(times.at(-1)!).toBeLessThan(periodEnd)
        expect(new Set(list.map((r) => r.id)).size).toBe(list.length)
      }
      for (const e of p.auditEvents) {
        const at = Date.parse(e.period?.start ?? (e as unknown as { occurredDateTime: string }).occurredDateTime)
        expect(at).toBeGreaterThanOrEqual(periodStart)
        expect(Date.parse(e.recorded)).toBeGreaterThanOrEqual(at)
        expect(Date.parse(e.meta!.lastUpdated!)).toBeGreaterThanOrEqual(Date.parse(e.recorded))
      }
    }
  })

  it('shares in realistic proportions', () => {
    const events = dataset.practices.flatMap((p) => p.auditEvents).filter(isDisclosure)
    const share = (codes: string[]) => events.filter((e) => codes.includes(v3Codes(e)[0]!)).length / events.length
    expect(events.length).toBeGreaterThan(3 * 90 * 30)
    expect(share(['TREAT', 'CAREMGT', 'COC'])).toBeGreaterThan(0.5)
    expect(share(['TREAT', 'CAREMGT', 'COC'])).toBeLessThan(0.75)
    expect(share(['HRESCH', 'CLINTRCH'])).toBeGreaterThan(0.03)
    expect(share(['HRESCH', 'CLINTRCH'])).toBeLessThan(0.12)
    for (const code of ['HQUALIMP', 'HOPERAT', 'THREAT', 'PATRQT', 'HLEGAL', 'PUBHLTH', 'ETREAT'])
      expect(share([code]), code).toBeGreaterThan(0)
    expect(share(['HLEGAL'])).toBeLessThan(0.03)
    const pseudonymised = events.filter((e) => e.meta?.security?.some((s) => s.code === 'PSEUDED'))
    expect(pseudonymised.length / events.length).toBeGreaterThan(0.05)
    expect(events.some((e) => e.meta?.versionId === '2')).toBe(true)
    expect(events.some((e) => Date.parse(e.meta!.lastUpdated!) - Date.parse(e.recorded) > 3_600_000)).toBe(true)
    expect(events.some((e) => e.agent.some((a) => a.type?.coding?.some((c) => c.code === 'police_judicial')))).toBe(true)

    for (const p of dataset.practices) {
      expect(p.optOuts.ndop / p.practice.listSize).toBeGreaterThan(0.025)
      expect(p.optOuts.ndop / p.practice.listSize).toBeLessThan(0.055)
      expect(p.optOuts.type1 / p.practice.listSize).toBeGreaterThan(0.015)
      expect(p.optOuts.type1 / p.practice.listSize).toBeLessThan(0.035)
      const codes = new Set(p.consents.flatMap((c) => c.category!.flatMap((cat) => cat.coding!.map((x) => x.code))))
      expect([...codes].sort()).toEqual(['370856009', '827241000000103', '9Nd1', '9Nd7', '9Nu0'])
      expect(p.consents.some((c) => c.status === 'inactive')).toBe(true)
    }
  })
})

describe('planted and malformed records', () => {
  const ALL_RULES: RuleId[] = [
    'optout_disclosure',
    'prohibited_purpose',
    'no_agreement',
    'excess_identifiable',
    'dissent_direct_care',
    'unreviewed_override',
    'ndop_count_mismatch',
    'secondary_without_consent',
    'recipient_unassured',
    'outside_notice',
  ]

  it('plants every rule, naming records that exist', () => {
    expect(new Set(dataset.planted.map((p) => p.rule))).toEqual(new Set(ALL_RULES))
    expect(dataset.planted.filter((p) => p.rule === 'ndop_count_mismatch')).toHaveLength(1)
    for (const planted of [...dataset.planted, ...dataset.nearMisses].filter((p) => p.resourceId !== null)) {
      const practice = dataset.practices.find((p) => p.practice.odsCode === planted.practice)!
      const event = practice.auditEvents.find((e) => e.id === planted.resourceId)
      expect(event, planted.resourceId!).toBeDefined()
      expect(planted.occurredAt).toBe(event!.period!.start)
    }
  })

  it('lists every override as unreviewed: break-glass alerts and disclosures that override consent', () => {
    const overrides = dataset.practices.flatMap((p) =>
      p.auditEvents.filter((e) => isOverride(e) || v3Codes(e).some((c) => c.startsWith('OVR'))),
    )
    const listed = dataset.planted.filter((p) => p.rule === 'unreviewed_override').map((p) => p.resourceId)
    expect(new Set(listed)).toEqual(new Set(overrides.map((e) => e.id)))
    expect(overrides.filter(isOverride).length).toBeGreaterThanOrEqual(6)
  })

  it('lists five malformed records per practice, each wrong in the stated way', () => {
    expect(dataset.malformed).toHaveLength(15)
    for (const m of dataset.malformed) {
      const practice = dataset.practices.find((p) => p.practice.odsCode === m.practice)!
      if (m.resourceType === 'Consent') {
        expect(practice.consents.find((c) => c.id === m.resourceId)?.status).toBe('proposed')
        continue
      }
      const event = practice.auditEvents.find((e) => e.id === m.resourceId)!
      if (m.problem === 'unknown_purpose') expect(v3Codes(event)).toEqual(['XYZZY'])
      if (m.problem === 'no_patient') expect(event.entity!.some((x) => x.what?.identifier)).toBe(false)
      if (m.problem === 'r5_shape') expect(event).toHaveProperty('occurredDateTime')
      expect(m.reason.length).toBeGreaterThan(10)
    }
    expect(new Set(dataset.malformed.map((m) => m.problem)).size).toBe(5)
  })

  it('breaks the compliance rules exactly where it says, and nowhere else (an independent check)', () => {
    const found = evaluateRules(dataset, agreements)
    const expected = dataset.planted
      // The promise rules depend on each practice's notice: test/integration/findings/simulator.test.ts checks them against the SQL.
      .filter(
        (p) =>
          !['unreviewed_override', 'ndop_count_mismatch', 'secondary_without_consent', 'recipient_unassured', 'outside_notice'].includes(
            p.rule,
          ),
      )
      .map((p) => `${p.rule} ${p.resourceId}`)
    expect([...found].sort()).toEqual([...new Set(expected)].sort())
    for (const nearMiss of dataset.nearMisses)
      expect(found.has(`${nearMiss.rule} ${nearMiss.resourceId}`), nearMiss.description).toBe(false)
    expect(dataset.nearMisses.length).toBeGreaterThanOrEqual(3 * 6)
  })
})

describe('ndopCsv', () => {
  it('renders the NDOP publication columns with each practice’s opt-out count', () => {
    const lines = ndopCsv(dataset, { achDate: '2026-11-01' }).trimEnd().split('\r\n')
    expect(lines[0]).toBe(NDOP_COLUMNS.join(','))
    expect(lines[0]).toBe(
      'ACH_DATE,GP_PRACTICE,POSTCODE,PRACTICE_NAME,SUB_ICB_LOCATION_CODE,ONS_SUB_ICB_LOCATION_CODE,SUB_ICB_LOCATION_NAME,ONS_ICB_CODE,ICB_CODE,ICB_NAME,COMM_REGION_CODE,ONS_COMM_REGION_CODE,COMM_REGION_NAME,OPT_OUT,LIST_SIZE',
    )
    expect(lines).toHaveLength(4)
    const mismatch = dataset.planted.find((p) => p.rule === 'ndop_count_mismatch')!.practice
    for (const [i, line] of lines.slice(1).entries()) {
      const cells = line.split(',')
      const practice = dataset.practices[i]!
      expect(cells[0]).toBe('01/11/2026')
      expect(cells[1]).toBe(practice.practice.odsCode)
      expect(cells[8]).toBe('QHM')
      expect(Number(cells[14])).toBe(practice.practice.listSize)
      const published = Number(cells[13])
      if (practice.practice.odsCode === mismatch) {
        expect(Math.abs(published - practice.optOuts.ndop) / practice.optOuts.ndop).toBeGreaterThan(0.1)
      } else {
        expect(published).toBe(practice.optOuts.ndop)
      }
    }
  })

  it('counts the opt-outs in force on the achievement date', () => {
    const opts = (csv: string) =>
      csv
        .trimEnd()
        .split('\r\n')
        .slice(1)
        .map((l) => Number(l.split(',')[13]))
    const earlier = opts(ndopCsv(dataset, { achDate: '2026-08-01' }))
    const later = opts(ndopCsv(dataset, { achDate: '2026-11-01' }))
    expect(earlier.some((n, i) => n !== later[i])).toBe(true)
    expect(() => ndopCsv(dataset, { achDate: '01/11/2026' })).toThrow(/achDate/)
  })
})

describe('demoAgreements', () => {
  it('gives each recipient and purpose one agreement, in force over the whole period', () => {
    expect(new Set(agreements.map((a) => a.reference)).size).toBe(agreements.length)
    const seen = new Set<string>()
    for (const a of agreements) {
      expect(a.validFrom <= '2026-08-04').toBe(true)
      expect(a.validTo === null || a.validTo >= '2026-11-01').toBe(true)
      expect(a.practices.length).toBeGreaterThan(0)
      for (const purpose of a.purposes) {
        const key = `${a.recipientOds ?? a.recipientName} ${purpose}`
        expect(seen.has(key), key).toBe(false)
        seen.add(key)
      }
    }
    expect(
      agreements.some((a) => a.recipientOds === 'QHM' && a.dataLevel === 'pseudonymised' && a.purposes.includes('commissioning')),
    ).toBe(true)
  })
})

// ---- An independent reading of the compliance rules (decision 008), to check the planted list ----

const PURPOSE_OF_USE: Record<string, string> = {
  TREAT: 'direct_care',
  CAREMGT: 'direct_care',
  COC: 'direct_care',
  ETREAT: 'emergency_care',
  BTG: 'emergency_care',
  HRESCH: 'research',
  CLINTRCH: 'research',
  HQUALIMP: 'clinical_audit',
  PERFMSR: 'benchmarking',
  HOUTCOMS: 'benchmarking',
  HOPERAT: 'service_management',
  HPRGRP: 'contract_monitoring',
  HCOMPL: 'contract_monitoring',
  TRAIN: 'teaching_training',
  PATSFTY: 'incident_review',
  PATRQT: 'subject_access',
  FAMRQT: 'subject_access',
  PWATRNY: 'subject_access',
  HLEGAL: 'legal',
  PUBHLTH: 'public_health',
  THREAT: 'safeguarding',
  HMARKT: 'marketing',
  COVERAGE: 'insurance',
}
const OPT_OUT_PURPOSES = new Set([
  'research',
  'clinical_audit',
  'benchmarking',
  'service_management',
  'commissioning',
  'contract_monitoring',
  'capacity_planning',
  'teaching_training',
  'surveys',
  'personal_development',
  'risk_stratification',
  'secondary_processing',
])
const EXEMPTING_BASES = new Set([
  'explicit_consent',
  'legal_obligation',
  'public_interest',
  'vital_interests',
  'copi',
  'mental_health_act',
  'safeguarding_duty',
])
const LEVEL_RANK: Record<string, number> = { anonymised: 0, pseudonymised: 1, identifiable: 2 }
const DAY = 86_400_000

/**
 * Findings as "<rule> <AuditEvent id>". Each choice counts from its dateTime, and also (to be
 * safe against a rule engine that works in whole days) from the start of that day; both
 * readings must agree, or the data is ambiguous.
 */
function evaluateRules(data: Dataset, agreementList: DemoAgreement[]): Set<string> {
  const findings = new Set<string>()
  const malformed = new Set(data.malformed.map((m) => m.resourceId))
  for (const p of data.practices) {
    const choices = new Map<string, Array<{ at: number; inForce: boolean }>>()
    for (const c of p.consents) {
      if (c.status !== 'active' && c.status !== 'inactive') continue
      const code = c.category![0]!.coding![0]!.code!
      const kind = { '370856009': 'ndop', '827241000000103': 'type1', '9Nu0': 'type1', '9Nd1': 'dissent', '9Nd7': 'dissent' }[code]!
      const key = `${nhsNumberOf(c.patient)} ${kind}`
      const list = choices.get(key) ?? []
      list.push({ at: Date.parse(c.dateTime!), inForce: c.status === 'active' && c.provision?.type === 'deny' })
      choices.set(key, list)
    }
    const inForce = (patient: string, kind: string, t: number, wholeDays: boolean) => {
      const latest = (choices.get(`${patient} ${kind}`) ?? [])
        .filter((c) => (wholeDays ? Math.floor(c.at / DAY) * DAY : c.at) <= t)
        .sort((a, b) => a.at - b.at)
        .at(-1)
      return latest?.inForce ?? false
    }
    const inForceEitherWay = (patient: string, kind: string, t: number) => {
      const exact = inForce(patient, kind, t, false)
      expect(inForce(patient, kind, t, true), `${patient} ${kind} at ${new Date(t).toISOString()}`).toBe(exact)
      return exact
    }

    for (const e of p.auditEvents) {
      if (!isDisclosure(e) || malformed.has(e.id!)) continue
      const codings = e.purposeOfEvent!.flatMap((c) => c.coding!)
      const local = codings.find((c) => c.system === SYSTEMS.localPurpose)?.code
      const v3 = v3Codes(e).find((c) => !c.startsWith('OVR'))!
      const purposes = [...new Set([local ?? PURPOSE_OF_USE[v3]!, PURPOSE_OF_USE[v3]!])]
      const basis = codings.find((c) => c.system === SYSTEMS.legalBasis)?.code
      const overridden = v3Codes(e).some((c) => c.startsWith('OVR'))
      const level = e.meta?.security?.some((s) => s.code === 'PSEUDED')
        ? 'pseudonymised'
        : e.meta?.security?.some((s) => s.code === 'ANONYED')
          ? 'anonymised'
          : 'identifiable'
      const recipient = e.agent.find((a) => a.type?.coding?.some((c) => c.code === '110152'))!
      const recipientKey = recipient.who?.identifier?.value ?? recipient.who?.display
      const patient = patientOf(e)!
      const at = Date.parse(e.period!.start!)
      const day = new Date(at).toISOString().slice(0, 10)

      for (const purpose of purposes) {
        if (OPT_OUT_PURPOSES.has(purpose) && !EXEMPTING_BASES.has(basis ?? '')) {
          if (inForceEitherWay(patient, 'ndop', at) || inForceEitherWay(patient, 'type1', at)) findings.add(`optout_disclosure ${e.id}`)
        }
        if (purpose === 'marketing' || purpose === 'insurance') findings.add(`prohibited_purpose ${e.id}`)
        if (purpose === 'direct_care' && !overridden && inForceEitherWay(patient, 'dissent', at))
          findings.add(`dissent_direct_care ${e.id}`)
        const agreement = agreementList.find(
          (a) =>
            (a.recipientOds ?? a.recipientName) === recipientKey &&
            a.purposes.includes(purpose as never) &&
            a.practices.includes(p.practice.odsCode) &&
            a.validFrom <= day &&
            (a.validTo === null || a.validTo >= day),
        )
        if (!agreement) findings.add(`no_agreement ${e.id}`)
        else if (LEVEL_RANK[level]! > LEVEL_RANK[agreement.dataLevel]!) findings.add(`excess_identifiable ${e.id}`)
      }
    }
  }
  return findings
}
