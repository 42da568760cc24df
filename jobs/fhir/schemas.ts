import { z } from 'zod'

/**
 * zod schemas for the parts of FHIR R4 the collector reads. Unknown elements are allowed and
 * dropped (a server may send far more than we need); the raw resource is what goes to
 * quarantine, never the parsed one.
 */

const DATE_TIME =
  /^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01])(T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?(Z|[+-]((0\d|1[0-3]):[0-5]\d|14:00)))?)?)?$/
const UTC_MILLIS = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/
const INSTANT =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?(Z|[+-]((0\d|1[0-3]):[0-5]\d|14:00))$/

/**
 * A FHIR dateTime (possibly partial: "2015", "2015-11", "2015-11-18") as a UTC ISO instant.
 * Partial dates mean their first moment, in UTC, which falls on the same calendar day in England.
 */
export function toUtcIso(value: string): string | null {
  // Already a UTC instant with milliseconds (what most servers send): it is its own answer once its day exists.
  if (value.length === 24 && UTC_MILLIS.test(value)) {
    const day = Number(value.slice(8, 10))
    return day <= 28 || day <= new Date(Date.UTC(Number(value.slice(0, 4)), Number(value.slice(5, 7)), 0)).getUTCDate() ? value : null
  }
  if (!DATE_TIME.test(value)) return null
  const [year, month = 1, day = 1] = value.slice(0, 10).split('-').map(Number)
  // The pattern allows 2015-02-30, which Date would roll over to March.
  if (day > new Date(Date.UTC(year!, month, 0)).getUTCDate()) return null
  const padded = value.length === 4 ? `${value}-01-01` : value.length === 7 ? `${value}-01` : value
  return new Date(padded.length === 10 ? `${padded}T00:00:00Z` : padded).toISOString()
}

const FhirDateTime = z.string().refine((v) => toUtcIso(v) !== null, 'is not a FHIR dateTime')
const FhirInstant = z.string().refine((v) => INSTANT.test(v) && toUtcIso(v) !== null, 'is not a FHIR instant (date, time and time zone)')

const Coding = z.object({ system: z.string().optional(), code: z.string().optional(), display: z.string().optional() })
const CodeableConcept = z.object({ coding: z.array(Coding).optional(), text: z.string().optional() })
const Identifier = z.object({ system: z.string().optional(), value: z.string().optional() })
const Reference = z.object({ reference: z.string().optional(), identifier: Identifier.optional(), display: z.string().optional() })
const Period = z.object({ start: FhirDateTime.optional(), end: FhirDateTime.optional() })
const Meta = z.object({ versionId: z.string().optional(), lastUpdated: FhirInstant.optional(), security: z.array(Coding).optional() })

export type Coding = z.infer<typeof Coding>
export type CodeableConcept = z.infer<typeof CodeableConcept>
export type Reference = z.infer<typeof Reference>

const AuditEventAgent = z.object({
  type: CodeableConcept.optional(),
  role: z.array(CodeableConcept).optional(),
  who: Reference.optional(),
  name: z.string().optional(),
  requestor: z.boolean(),
  network: z.object({ address: z.string().optional() }).optional(),
  purposeOfUse: z.array(CodeableConcept).optional(),
})

const AuditEventEntity = z.object({
  what: Reference.optional(),
  type: Coding.optional(),
  role: Coding.optional(),
  lifecycle: Coding.optional(),
  name: z.string().optional(),
  description: z.string().optional(),
})

/** R4 AuditEvent: `type` is one Coding, `recorded` and each agent's `requestor` are required. */
export const AuditEventSchema = z.object({
  resourceType: z.literal('AuditEvent'),
  id: z.string().min(1),
  meta: Meta.optional(),
  type: Coding,
  subtype: z.array(Coding).optional(),
  period: Period.optional(),
  recorded: FhirInstant,
  purposeOfEvent: z.array(CodeableConcept).optional(),
  agent: z.array(AuditEventAgent).min(1),
  entity: z.array(AuditEventEntity).optional(),
})
export type AuditEvent = z.infer<typeof AuditEventSchema>
export type AuditEventAgent = z.infer<typeof AuditEventAgent>
export type AuditEventEntity = z.infer<typeof AuditEventEntity>

export interface ConsentProvision {
  type?: 'deny' | 'permit'
  period?: z.infer<typeof Period>
  code?: CodeableConcept[]
  purpose?: Coding[]
  provision?: ConsentProvision[]
}
const ConsentProvision: z.ZodType<ConsentProvision> = z.lazy(() =>
  z.object({
    type: z.enum(['deny', 'permit']).optional(),
    period: Period.optional(),
    code: z.array(CodeableConcept).optional(),
    purpose: z.array(Coding).optional(),
    provision: z.array(ConsentProvision).optional(),
  }),
)

/** R4 Consent: `patient`, `dateTime`, `policyRule` and one `provision` (R5 renamed or split all four). */
export const ConsentSchema = z.object({
  resourceType: z.literal('Consent'),
  id: z.string().min(1),
  meta: Meta.optional(),
  status: z.enum(['draft', 'proposed', 'active', 'rejected', 'inactive', 'entered-in-error']),
  category: z.array(CodeableConcept).optional(),
  patient: Reference.optional(),
  dateTime: FhirDateTime.optional(),
  policyRule: CodeableConcept.optional(),
  provision: ConsentProvision.optional(),
})
export type Consent = z.infer<typeof ConsentSchema>

/** A searchset page. Entries stay `unknown` so one bad resource cannot reject its whole page. */
export const BundleSchema = z.object({
  resourceType: z.literal('Bundle'),
  link: z.array(z.object({ relation: z.string(), url: z.string() })).optional(),
  entry: z.array(z.object({ resource: z.unknown().optional(), search: z.object({ mode: z.string().optional() }).optional() })).optional(),
})
export type Bundle = z.infer<typeof BundleSchema>

/** The first few problems zod found, as plain English with FHIR paths ("AuditEvent.agent[0].requestor is missing"). */
export function describeInvalid(resourceType: string, error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => {
      const path = issue.path.reduce<string>((p, part) => (typeof part === 'number' ? `${p}[${part}]` : `${p}.${part}`), resourceType)
      switch (issue.code) {
        case 'invalid_type':
          return issue.received === 'undefined' ? `${path} is missing` : `${path} should be ${issue.expected} but is ${issue.received}`
        case 'invalid_literal':
          return `${path} should be ${JSON.stringify(issue.expected)}`
        case 'invalid_enum_value':
          return `${path} ${JSON.stringify(issue.received)} is not one of ${issue.options.join(', ')}`
        case 'too_small':
          return issue.type === 'array' ? `${path} needs at least ${issue.minimum} entry` : `${path} is empty`
        default:
          return `${path} ${issue.message}`
      }
    })
    .join('; ')
}

const R5_AUDIT_EVENT_FIELDS = [
  'category',
  'code',
  'occurredDateTime',
  'occurredPeriod',
  'authorization',
  'severity',
  'basedOn',
  'encounter',
  'patient',
]
const R5_AGENT_FIELDS = ['networkString', 'networkUri', 'networkReference', 'authorization']
const R5_CONSENT_FIELDS = [
  'decision',
  'date',
  'grantor',
  'grantee',
  'controller',
  'manager',
  'regulatoryBasis',
  'policyBasis',
  'subject',
  'period',
]

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * Why a resource is R5, or null. An R5 resource would half-parse as R4 (or fail on a confusing
 * detail), so it is rejected up front with a reason that says what is wrong.
 */
export function r5Reason(raw: unknown): string | null {
  const found = r5Elements(raw)
  if (found.length === 0) return null
  const type = (raw as { resourceType: string }).resourceType
  return `resource looks like FHIR R5 (${type}.${found.join('/')} present); this collector reads FHIR R4`
}

function r5Elements(raw: unknown): string[] {
  if (!isObject(raw)) return []
  if (raw.resourceType === 'AuditEvent') {
    const found = R5_AUDIT_EVENT_FIELDS.filter((f) => f in raw)
    if (isObject(raw.type) && 'coding' in raw.type) found.push('type.coding')
    if (isObject(raw.outcome)) found.push('outcome.code')
    const agents = Array.isArray(raw.agent) ? raw.agent.filter(isObject) : []
    for (const f of R5_AGENT_FIELDS) if (agents.some((a) => f in a)) found.push(`agent.${f}`)
    return found
  }
  if (raw.resourceType === 'Consent') {
    const found = R5_CONSENT_FIELDS.filter((f) => f in raw)
    if (Array.isArray(raw.provision)) found.push('provision[]')
    return found
  }
  return []
}
