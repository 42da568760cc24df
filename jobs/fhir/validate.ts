import { toUtcIso, type AuditEvent, type Bundle, type Consent } from './schemas.js'

/**
 * Hand-written checks that accept exactly what the zod schemas in schemas.ts accept, for the hot
 * path: a page of 1,000 resources through zod costs more than everything else the collector does
 * to it. A resource these checks pass is used as it is (the mappers ignore elements they do not
 * read, as zod would have dropped them); one they refuse goes through zod, which decides and
 * words the reason. So a check may be stricter than its schema, never looser: the unit tests
 * hold every one of them to that against zod.
 */

type Obj = Record<string, unknown>

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)
const optString = (v: unknown) => v === undefined || typeof v === 'string'
const optObj = (v: unknown, check: (o: Obj) => boolean) => v === undefined || (isObj(v) && check(v))
const optArray = (v: unknown, check: (o: Obj) => boolean) => {
  if (v === undefined) return true
  if (!Array.isArray(v)) return false
  for (const item of v) if (!isObj(item) || !check(item)) return false
  return true
}

const INSTANT =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?(Z|[+-]((0\d|1[0-3]):[0-5]\d|14:00))$/
const isDateTime = (v: unknown) => typeof v === 'string' && toUtcIso(v) !== null
const isInstant = (v: unknown) => typeof v === 'string' && INSTANT.test(v) && toUtcIso(v) !== null

const coding = (o: Obj) => optString(o.system) && optString(o.code) && optString(o.display)
const codeableConcept = (o: Obj) => optArray(o.coding, coding) && optString(o.text)
const identifier = (o: Obj) => optString(o.system) && optString(o.value)
const reference = (o: Obj) => optString(o.reference) && optObj(o.identifier, identifier) && optString(o.display)
const period = (o: Obj) => (o.start === undefined || isDateTime(o.start)) && (o.end === undefined || isDateTime(o.end))
const meta = (o: Obj) => optString(o.versionId) && (o.lastUpdated === undefined || isInstant(o.lastUpdated)) && optArray(o.security, coding)

const agent = (o: Obj) =>
  typeof o.requestor === 'boolean' &&
  optObj(o.type, codeableConcept) &&
  optArray(o.role, codeableConcept) &&
  optObj(o.who, reference) &&
  optString(o.name) &&
  optObj(o.network, (n) => optString(n.address)) &&
  optArray(o.purposeOfUse, codeableConcept)

const entity = (o: Obj) =>
  optObj(o.what, reference) &&
  optObj(o.type, coding) &&
  optObj(o.role, coding) &&
  optObj(o.lifecycle, coding) &&
  optString(o.name) &&
  optString(o.description)

/** True when AuditEventSchema would accept `raw` as it is. */
export function isAuditEvent(raw: unknown): raw is AuditEvent {
  if (!isObj(raw)) return false
  return (
    raw.resourceType === 'AuditEvent' &&
    typeof raw.id === 'string' &&
    raw.id.length > 0 &&
    optObj(raw.meta, meta) &&
    isObj(raw.type) &&
    coding(raw.type) &&
    optArray(raw.subtype, coding) &&
    optObj(raw.period, period) &&
    isInstant(raw.recorded) &&
    optArray(raw.purposeOfEvent, codeableConcept) &&
    Array.isArray(raw.agent) &&
    raw.agent.length >= 1 &&
    optArray(raw.agent, agent) &&
    optArray(raw.entity, entity)
  )
}

const CONSENT_STATUSES = new Set(['draft', 'proposed', 'active', 'rejected', 'inactive', 'entered-in-error'])

const provision = (o: Obj): boolean =>
  (o.type === undefined || o.type === 'deny' || o.type === 'permit') &&
  optObj(o.period, period) &&
  optArray(o.code, codeableConcept) &&
  optArray(o.purpose, coding) &&
  optArray(o.provision, provision)

/** True when ConsentSchema would accept `raw` as it is. */
export function isConsent(raw: unknown): raw is Consent {
  if (!isObj(raw)) return false
  return (
    raw.resourceType === 'Consent' &&
    typeof raw.id === 'string' &&
    raw.id.length > 0 &&
    optObj(raw.meta, meta) &&
    typeof raw.status === 'string' &&
    CONSENT_STATUSES.has(raw.status) &&
    optArray(raw.category, codeableConcept) &&
    optObj(raw.patient, reference) &&
    (raw.dateTime === undefined || isDateTime(raw.dateTime)) &&
    optObj(raw.policyRule, codeableConcept) &&
    optObj(raw.provision, provision)
  )
}

/** True when BundleSchema would accept `json` as it is. */
export function isBundle(json: unknown): json is Bundle {
  if (!isObj(json) || json.resourceType !== 'Bundle') return false
  return (
    optArray(json.link, (l) => typeof l.relation === 'string' && typeof l.url === 'string') &&
    optArray(json.entry, (e) => optObj(e.search, (s) => optString(s.mode)))
  )
}
