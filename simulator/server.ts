import http from 'node:http'
import type { AuditEvent, Consent } from 'fhir/r4'
import {
  generatePractice,
  practiceProfiles,
  resolveDatasetOptions,
  type DatasetOptions,
  type PracticeData,
  type PracticeProfile,
} from './data.js'
import { createBulkExport, type BulkConfig, type BulkRequestLog } from './bulk.js'
import { intervalOf, lowerBound, matchesDate, parseDateCriterion, type DateCriterion } from './search.js'

/**
 * The FHIR R4 servers of several GP practices on one loopback port, each at
 * `${url}/fhir/${ODS}`: AuditEvent and Consent search with paging, bearer-token auth, and
 * faults on demand (timeouts, 429, 503, truncated or non-JSON bodies) for collectors to survive.
 */

export interface FaultConfig {
  mode: 'none' | 'timeout' | 'rate_limit' | 'server_error' | 'truncated' | 'not_json' | 'wrong_content_type'
  /** fail only the first N matching requests, then behave (default: always) */
  times?: number
  /** only requests whose path contains this, e.g. 'A81002' or 'Consent' */
  match?: string
  retryAfterSeconds?: number
}

export interface SimulatorOptions extends DatasetOptions {
  /** 0 picks a free port; `url` reports the real one. */
  port: number
  /** Default 127.0.0.1. */
  host?: string
  /** When set, a request without `Authorization: Bearer <token>` gets 401. */
  token?: string
  /** The most entries a page holds, whatever _count asks for. Default 500. */
  maxPageSize?: number
}

export interface SimulatedPractice {
  odsCode: string
  name: string
  icbCode: string
  listSize: number
  fhirBaseUrl: string
}

export interface RunningSimulator {
  url: string
  practices: SimulatedPractice[]
  setFaults(f: FaultConfig): void
  /** How $export behaves (simulator/bulk.ts), and what it was asked. */
  setBulk(c: BulkConfig): void
  bulkLog(): BulkRequestLog
  requestCount(): number
  close(): Promise<void>
}

const FHIR_JSON = 'application/fhir+json; charset=utf-8'
const DEFAULT_PAGE_SIZE = 100
/** Records kept generated across practices (about 650 bytes each in memory); beyond that the least recently used practice is dropped and regenerated on demand. */
const CACHED_RECORDS = 300_000
const CACHED_SEARCHES_PER_PRACTICE = 16

type SearchableType = 'AuditEvent' | 'Consent'
type Resource = AuditEvent | Consent

/** One resource type of one practice, indexed for search. */
interface Collection {
  resources: Resource[]
  /** meta.lastUpdated in ms, ascending (the resources' order). */
  lastUpdated: Float64Array
  /** What the `date` parameter searches: AuditEvent.recorded, Consent.dateTime. */
  date: Float64Array
  byId: Map<string, Resource>
}

interface ServedPractice {
  collections: Record<SearchableType, Collection>
  /** Filtered lists by query, so paging through one search filters once. */
  searches: Map<string, Resource[]>
}

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly issueCode: string,
    message: string,
  ) {
    super(message)
  }
}

const operationOutcome = (issueCode: string, diagnostics: string) => ({
  resourceType: 'OperationOutcome',
  issue: [{ severity: 'error', code: issueCode, diagnostics }],
})

function collectionOf(resources: Resource[], dateOf: (r: Resource) => string | undefined): Collection {
  const lastUpdated = new Float64Array(resources.length)
  const date = new Float64Array(resources.length)
  const byId = new Map<string, Resource>()
  resources.forEach((r, i) => {
    lastUpdated[i] = Date.parse(r.meta!.lastUpdated!)
    date[i] = Date.parse(dateOf(r) ?? '') // NaN matches no date criterion
    byId.set(r.id!, r)
  })
  return { resources, lastUpdated, date, byId }
}

function serve(data: PracticeData): ServedPractice {
  return {
    collections: {
      AuditEvent: collectionOf(data.auditEvents, (r) => (r as AuditEvent).recorded),
      Consent: collectionOf(data.consents, (r) => (r as Consent).dateTime),
    },
    searches: new Map(),
  }
}

function wholeNumber(params: URLSearchParams, name: string): number | undefined {
  const raw = params.get(name)
  if (raw === null) return undefined
  if (!/^\d+$/.test(raw)) throw new HttpProblem(400, 'invalid', `${name}=${raw} is not a whole number`)
  return Number(raw)
}

function criteria(params: URLSearchParams, name: string): DateCriterion[] {
  return params.getAll(name).map((raw) => {
    const parsed = parseDateCriterion(name, raw)
    if ('error' in parsed) throw new HttpProblem(400, 'invalid', parsed.error)
    return parsed
  })
}

/** The matching resources in lastUpdated order: one binary search for _lastUpdated, a scan for the rest. */
function filter(collection: Collection, lastUpdated: DateCriterion[], date: DateCriterion[]): Resource[] {
  const { from, to } = intervalOf(lastUpdated)
  const start = lowerBound(collection.lastUpdated, from)
  const end = lowerBound(collection.lastUpdated, to)
  const scanned = [
    ...lastUpdated.filter((c) => c.prefix === 'ne').map((c) => ({ c, times: collection.lastUpdated })),
    ...date.map((c) => ({ c, times: collection.date })),
  ]
  const found: Resource[] = []
  for (let i = start; i < end; i++) {
    if (scanned.every(({ c, times }) => matchesDate(c, times[i]!))) found.push(collection.resources[i]!)
  }
  return found
}

function capabilityStatement(practice: PracticeProfile, baseUrl: string, endDate: string, secured: boolean) {
  const searchParam = [
    { name: '_lastUpdated', type: 'date', documentation: 'meta.lastUpdated; prefixes eq ne gt lt ge le' },
    { name: 'date', type: 'date', documentation: 'AuditEvent.recorded / Consent.dateTime; prefixes eq ne gt lt ge le' },
    { name: '_count', type: 'number' },
    { name: '_sort', type: 'string', documentation: '_lastUpdated only (the default order)' },
  ]
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: endDate,
    publisher: 'Sharing Ledger practice-system simulator',
    kind: 'instance',
    software: { name: 'Sharing Ledger practice-system simulator' },
    implementation: { description: `${practice.name} (${practice.odsCode}) clinical system`, url: baseUrl },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json'],
    rest: [
      {
        mode: 'server',
        ...(secured
          ? {
              security: {
                service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'OAuth' }] }],
                description: 'Bearer token in the Authorization header',
              },
            }
          : {}),
        resource: (['AuditEvent', 'Consent'] as const).map((type) => ({
          type,
          interaction: [{ code: 'read' }, { code: 'search-type' }],
          searchParam,
        })),
      },
    ],
  }
}

const SIGN_IN_PAGE =
  '<!DOCTYPE html><html><head><title>Sign in</title></head><body><h1>Session expired</h1><form method="post" action="/login"><input name="user"><input name="password" type="password"><button>Sign in</button></form></body></html>'

export async function startSimulator(opts: SimulatorOptions): Promise<RunningSimulator> {
  const datasetOptions = resolveDatasetOptions(opts)
  const host = opts.host ?? '127.0.0.1'
  const maxPageSize = opts.maxPageSize ?? 500
  if (!Number.isInteger(maxPageSize) || maxPageSize < 1)
    throw new RangeError(`maxPageSize must be a whole number of at least 1, not ${maxPageSize}.`)
  const profiles = practiceProfiles(datasetOptions)
  const indexByOds = new Map(profiles.map((p, i) => [p.odsCode, i]))

  const recordsPerPractice = Math.max(1, datasetOptions.days * datasetOptions.eventsPerPracticePerDay)
  const cacheCapacity = Math.max(1, Math.floor(CACHED_RECORDS / recordsPerPractice))
  const cache = new Map<string, ServedPractice>()
  const practiceData = (ods: string, index: number): ServedPractice => {
    const hit = cache.get(ods)
    if (hit) {
      cache.delete(ods) // re-inserted below: Map order is the recency order
      cache.set(ods, hit)
      return hit
    }
    const served = serve(generatePractice(datasetOptions, index))
    cache.set(ods, served)
    if (cache.size > cacheCapacity) cache.delete(cache.keys().next().value!)
    return served
  }

  let fault: FaultConfig = { mode: 'none' }
  let faultsLeft = Infinity
  let requests = 0
  let baseUrl = ''

  /** The fault this search request suffers, counting it against `times`. */
  const takeFault = (path: string): FaultConfig | null => {
    if (fault.mode === 'none' || faultsLeft <= 0) return null
    if (fault.match !== undefined && !path.includes(fault.match)) return null
    faultsLeft--
    return fault
  }

  const send = (res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}) => {
    const text = JSON.stringify(body)
    res.writeHead(status, { 'Content-Type': FHIR_JSON, 'Content-Length': Buffer.byteLength(text), ...headers })
    res.end(text)
  }

  function search(served: ServedPractice, practiceUrl: string, type: SearchableType, params: URLSearchParams) {
    const sort = params.get('_sort')
    if (sort !== null && sort !== '_lastUpdated')
      throw new HttpProblem(400, 'not-supported', `_sort=${sort} is not supported; use _sort=_lastUpdated`)
    const count = Math.min(wholeNumber(params, '_count') ?? DEFAULT_PAGE_SIZE, maxPageSize)
    const offset = wholeNumber(params, '_getpagesoffset') ?? 0
    const lastUpdated = criteria(params, '_lastUpdated')
    const date = criteria(params, 'date')

    const key = `${type}?${[...params.getAll('_lastUpdated').map((v) => `l${v}`), ...params.getAll('date').map((v) => `d${v}`)].join('&')}`
    let matches = served.searches.get(key)
    if (!matches) {
      matches = filter(served.collections[type], lastUpdated, date)
      served.searches.set(key, matches)
      if (served.searches.size > CACHED_SEARCHES_PER_PRACTICE) served.searches.delete(served.searches.keys().next().value!)
    }

    const page = matches.slice(offset, offset + count)
    const query = params.toString()
    const link = [{ relation: 'self', url: `${practiceUrl}/${type}${query ? `?${query}` : ''}` }]
    if (count > 0 && offset + count < matches.length) {
      const next = new URLSearchParams(params)
      next.set('_count', String(count))
      next.set('_getpagesoffset', String(offset + count))
      link.push({ relation: 'next', url: `${practiceUrl}/${type}?${next}` })
    }
    return {
      resourceType: 'Bundle',
      type: 'searchset',
      total: matches.length,
      link,
      // FHIR JSON has no empty arrays: a page past the end has no entry element at all.
      ...(page.length > 0
        ? { entry: page.map((resource) => ({ fullUrl: `${practiceUrl}/${type}/${resource.id}`, resource, search: { mode: 'match' } })) }
        : {}),
    }
  }

  function respondWithFault(res: http.ServerResponse, f: FaultConfig, body: () => unknown) {
    switch (f.mode) {
      case 'timeout':
        return // never answer: the socket stays open until the client gives up or close() destroys it
      case 'rate_limit':
        return send(res, 429, operationOutcome('throttled', 'Too many requests'), { 'Retry-After': String(f.retryAfterSeconds ?? 1) })
      case 'server_error':
        return send(res, 503, operationOutcome('transient', 'The practice system is temporarily unavailable'))
      case 'not_json':
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(SIGN_IN_PAGE) })
        return res.end(SIGN_IN_PAGE)
      case 'wrong_content_type':
        return send(res, 200, body(), { 'Content-Type': 'text/plain; charset=utf-8' })
      case 'truncated': {
        // Promise the whole body, send half, then drop the connection: what a failing proxy does.
        const full = Buffer.from(JSON.stringify(body()))
        res.writeHead(200, { 'Content-Type': FHIR_JSON, 'Content-Length': full.length })
        res.write(full.subarray(0, Math.floor(full.length / 2)), () => res.destroy())
        return
      }
    }
  }

  function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    requests++
    const url = new URL(req.url ?? '/', baseUrl)
    if (opts.token !== undefined && req.headers.authorization !== `Bearer ${opts.token}`) {
      throw new HttpProblem(401, 'login', 'A valid bearer token is required (Authorization: Bearer <token>)')
    }
    if (bulk.handle(req, res, url)) return
    if (req.method !== 'GET') throw new HttpProblem(405, 'not-supported', `${req.method} is not supported; this server is read-only`)
    const route = /^\/fhir\/([^/]+)\/(metadata|AuditEvent|Consent)(?:\/([A-Za-z0-9\-.]{1,64}))?$/.exec(url.pathname)
    if (!route)
      throw new HttpProblem(
        404,
        'not-found',
        `Nothing at ${url.pathname}; practices are served at /fhir/{ODS}/(metadata|AuditEvent|Consent)`,
      )
    const [, ods = '', resource = '', id] = route
    const index = indexByOds.get(ods)
    if (index === undefined) throw new HttpProblem(404, 'not-found', `There is no practice with ODS code ${ods} on this server`)
    const profile = profiles[index]!
    const practiceUrl = `${baseUrl}/fhir/${ods}`

    if (resource === 'metadata') {
      if (id !== undefined) throw new HttpProblem(404, 'not-found', `Nothing at ${url.pathname}`)
      return send(res, 200, capabilityStatement(profile, practiceUrl, datasetOptions.endDate, opts.token !== undefined))
    }
    const type = resource as SearchableType
    if (id !== undefined) {
      const found = practiceData(ods, index).collections[type].byId.get(id)
      if (!found) throw new HttpProblem(404, 'not-found', `${type}/${id} is not known to ${ods}`)
      return send(res, 200, found)
    }
    const f = takeFault(url.pathname)
    // Faults that need no body come first, so a fault costs no generation.
    if (f && (f.mode === 'timeout' || f.mode === 'rate_limit' || f.mode === 'server_error' || f.mode === 'not_json')) {
      return respondWithFault(res, f, () => null)
    }
    const bundle = search(practiceData(ods, index), practiceUrl, type, url.searchParams)
    if (f) return respondWithFault(res, f, () => bundle)
    send(res, 200, bundle)
  }

  const bulk = createBulkExport({
    baseUrl: () => baseUrl,
    resources: (ods, type) => {
      const index = indexByOds.get(ods)
      return index === undefined ? undefined : practiceData(ods, index).collections[type].resources
    },
  })

  const server = http.createServer((req, res) => {
    try {
      handle(req, res)
    } catch (err) {
      if (err instanceof HttpProblem) {
        send(res, err.status, operationOutcome(err.issueCode, err.message), err.status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {})
      } else {
        send(res, 500, operationOutcome('exception', (err as Error).message))
      }
    }
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as import('node:net').AddressInfo
  baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`

  let closing: Promise<void> | null = null
  return {
    url: baseUrl,
    practices: profiles.map((p) => ({
      odsCode: p.odsCode,
      name: p.name,
      icbCode: p.icbCode,
      listSize: p.listSize,
      fhirBaseUrl: `${baseUrl}/fhir/${p.odsCode}`,
    })),
    setFaults(f: FaultConfig) {
      fault = { ...f }
      faultsLeft = f.times ?? Infinity
    },
    setBulk: (c: BulkConfig) => bulk.configure(c),
    bulkLog: () => bulk.log(),
    requestCount: () => requests,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()))
        // Includes connections held open by the timeout fault, so close() never waits on them.
        server.closeAllConnections()
      })
      return closing
    },
  }
}
