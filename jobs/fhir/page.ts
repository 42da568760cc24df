import crypto from 'node:crypto'
import type { MapContext } from './codes.js'
import { mapAuditEvent, type DisclosureDraft, type OverrideDraft } from './map-audit-event.js'
import { mapConsent, type PatientChoiceDraft } from './map-consent.js'
import { toUtcIso, type Bundle } from './schemas.js'
import { storableId } from './text.js'

export type FhirStream = 'AuditEvent' | 'Consent'

export interface QuarantineDraft {
  recordKey: string
  resourceType: string | null
  reason: string
  payload: unknown
}

/** One searchset page, mapped: what to write, what to quarantine, and where the cursor may move. */
export interface MappedPage {
  read: number
  disclosures: DisclosureDraft[]
  overrides: OverrideDraft[]
  choices: PatientChoiceDraft[]
  quarantine: QuarantineDraft[]
  /** Records that now load (or are understood and deliberately skipped): their quarantine is resolved. */
  loadedKeys: string[]
  /** The newest meta.lastUpdated on the page as a UTC ISO instant, so text order is time order. */
  highWaterMark: string | null
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * The source's id, or a digest of the resource when it has none (the same bad record keeps one
 * key). Keys are shown beside quarantine reasons, so an id that could hold an NHS number is
 * replaced the way the stored record's id is (storableId).
 */
export function recordKey(resource: unknown, ctx: Pick<MapContext, 'pseudonymKey' | 'sourceId'>): string {
  if (isObject(resource) && typeof resource.id === 'string' && resource.id !== '') return storableId(resource.id, ctx)!
  return `sha256:${crypto
    .createHash('sha256')
    .update(JSON.stringify(resource ?? null))
    .digest('hex')}`
}

export function mapPage(bundle: Bundle, stream: FhirStream, ctx: MapContext): MappedPage {
  const page: MappedPage = { read: 0, disclosures: [], overrides: [], choices: [], quarantine: [], loadedKeys: [], highWaterMark: null }
  for (const entry of bundle.entry ?? []) {
    // Included resources and OperationOutcome warnings are not results of the search.
    if (entry.search?.mode === 'include' || entry.search?.mode === 'outcome') continue
    const resource = entry.resource
    page.read++
    const key = recordKey(resource, ctx)
    // Every record read moves the high-water mark, quarantined ones too: they wait in quarantine, not in the feed.
    const lastUpdated =
      isObject(resource) && isObject(resource.meta) && typeof resource.meta.lastUpdated === 'string'
        ? toUtcIso(resource.meta.lastUpdated)
        : null
    if (lastUpdated && (page.highWaterMark === null || lastUpdated > page.highWaterMark)) page.highWaterMark = lastUpdated

    const type = isObject(resource) && typeof resource.resourceType === 'string' ? resource.resourceType : null
    // Set aside before anything walks it: validation, the key's digest and PostgreSQL's jsonb
    // all recurse, and a record 5,000 levels deep would fail the whole batch on every run.
    if (deeperThan(resource, ctx.maxDepth)) {
      page.quarantine.push({
        recordKey:
          isObject(resource) && typeof resource.id === 'string' && resource.id !== ''
            ? storableId(resource.id, ctx)!
            : `depth:${page.read}:${lastUpdated ?? ''}`,
        resourceType: type,
        reason: `the record is nested more than ${ctx.maxDepth} levels deep (FHIR_MAX_DEPTH), so it was not read; it is not kept`,
        payload: null,
      })
      continue
    }
    const result =
      type !== stream
        ? {
            error: type
              ? `the ${stream} search returned a resource of type ${type}`
              : `the ${stream} search returned an entry without a resource`,
          }
        : stream === 'AuditEvent'
          ? mapAuditEvent(resource, ctx)
          : mapConsent(resource, ctx)
    if ('error' in result) {
      page.quarantine.push({ recordKey: key, resourceType: type, reason: result.error, payload: resource ?? null })
      continue
    }
    page.loadedKeys.push(key)
    if ('disclosure' in result) {
      if (result.disclosure) page.disclosures.push(result.disclosure)
      if (result.override) page.overrides.push(result.override)
    } else if ('choice' in result) {
      page.choices.push(result.choice)
    }
  }
  return page
}

/**
 * True when `value` nests objects and arrays more than `max` levels deep. The recursion stops at
 * `max` levels, so it cannot overflow the stack however deep the record; it allocates nothing,
 * as it runs on every record of every page.
 */
export function deeperThan(value: unknown, max: number): boolean {
  if (typeof value !== 'object' || value === null) return false
  if (max <= 0) return true
  if (Array.isArray(value)) {
    for (const child of value) if (deeperThan(child, max - 1)) return true
    return false
  }
  for (const key in value) if (deeperThan((value as Record<string, unknown>)[key], max - 1)) return true
  return false
}

/**
 * `later` added to `earlier` (a batch of pages, committed together), as if their writes ran page
 * by page: a record quarantined on the later page is no longer resolved by the earlier one.
 */
export function appendPage(earlier: MappedPage, later: MappedPage): MappedPage {
  const requarantined = new Set(later.quarantine.map((q) => q.recordKey))
  const loadedKeys = requarantined.size > 0 ? earlier.loadedKeys.filter((k) => !requarantined.has(k)) : earlier.loadedKeys
  for (const k of later.loadedKeys) loadedKeys.push(k)
  const hwm =
    earlier.highWaterMark === null || (later.highWaterMark !== null && later.highWaterMark > earlier.highWaterMark)
      ? later.highWaterMark
      : earlier.highWaterMark
  return {
    read: earlier.read + later.read,
    disclosures: pushAll(earlier.disclosures, later.disclosures),
    overrides: pushAll(earlier.overrides, later.overrides),
    choices: pushAll(earlier.choices, later.choices),
    quarantine: pushAll(earlier.quarantine, later.quarantine),
    loadedKeys,
    highWaterMark: hwm,
  }
}

function pushAll<T>(into: T[], items: T[]): T[] {
  for (const item of items) into.push(item)
  return into
}
