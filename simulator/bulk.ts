import type http from 'node:http'
import type { AuditEvent, Consent } from 'fhir/r4'

/**
 * FHIR Bulk Data $export for the simulated practices (system-level kick-off at
 * `/fhir/{ODS}/$export`): 202 + Content-Location, a status URL answering 202 with Retry-After
 * until the export is "ready", then the manifest, and NDJSON files. Faults on demand: a
 * failed export (OperationOutcome), a truncated line, a file that stops half way.
 */

export interface BulkConfig {
  /** 202 answers before the manifest. Default 1. */
  pollsBeforeReady?: number
  /** The Retry-After of each 202, in seconds. Default 1. */
  retryAfterSeconds?: number
  /** Lines per NDJSON file (a type with more gets several files). Default 10,000. */
  linesPerFile?: number
  /** 'kickoff': the kick-off is refused; 'status': the export fails while being prepared. Both with an OperationOutcome. */
  fail?: 'kickoff' | 'status'
  /** Cut this line (1-based, of the first AuditEvent file) in half, keeping its newline. */
  truncateLine?: number
}

export interface BulkRequestLog {
  kickOffs: Array<{ ods: string; type: string | null; since: string | null }>
  /** When each status poll arrived (ms), and what it was told. */
  polls: Array<{ at: number; status: number }>
  files: number
}

type Resource = AuditEvent | Consent
type Type = 'AuditEvent' | 'Consent'
const TYPES: Type[] = ['AuditEvent', 'Consent']

interface Job {
  ods: string
  types: Type[]
  since: number
  polls: number
  transactionTime: string
}

const outcome = (code: string, diagnostics: string) => ({
  resourceType: 'OperationOutcome',
  issue: [{ severity: 'error', code, diagnostics }],
})

export function createBulkExport(deps: { baseUrl: () => string; resources: (ods: string, type: Type) => Resource[] | undefined }) {
  let config: BulkConfig = {}
  const jobs = new Map<string, Job>()
  let next = 1
  const log: BulkRequestLog = { kickOffs: [], polls: [], files: 0 }

  const json = (res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}) => {
    const text = JSON.stringify(body)
    res.writeHead(status, { 'Content-Type': 'application/fhir+json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...headers })
    res.end(text)
  }

  const matching = (job: Job, type: Type) =>
    (deps.resources(job.ods, type) ?? []).filter((r) => Date.parse(r.meta!.lastUpdated!) >= job.since)
  const perFile = () => Math.max(1, config.linesPerFile ?? 10_000)

  function files(id: string, job: Job) {
    const out: Array<{ type: Type; url: string; count: number }> = []
    for (const type of job.types) {
      const count = matching(job, type).length
      for (let part = 0; part * perFile() < count; part++) {
        out.push({ type, url: `${deps.baseUrl()}/bulk/${id}/${type}-${part}.ndjson`, count: Math.min(perFile(), count - part * perFile()) })
      }
    }
    return out
  }

  function kickOff(req: http.IncomingMessage, res: http.ServerResponse, url: URL, ods: string) {
    const typeParam = url.searchParams.get('_type')
    const sinceParam = url.searchParams.get('_since')
    log.kickOffs.push({ ods, type: typeParam, since: sinceParam })
    if (deps.resources(ods, 'AuditEvent') === undefined)
      return json(res, 404, outcome('not-found', `There is no practice with ODS code ${ods}`))
    if (!/respond-async/.test(String(req.headers.prefer ?? '')))
      return json(res, 400, outcome('invalid', 'The kick-off request needs the header Prefer: respond-async'))
    if (config.fail === 'kickoff') return json(res, 400, outcome('not-supported', 'Bulk export is switched off for this practice'))
    const types = typeParam ? typeParam.split(',') : TYPES
    const unknown = types.filter((t) => !TYPES.includes(t as Type))
    if (unknown.length > 0) return json(res, 400, outcome('not-supported', `_type ${unknown.join(', ')} is not exported by this server`))
    const since = sinceParam === null ? -Infinity : Date.parse(sinceParam)
    if (Number.isNaN(since)) return json(res, 400, outcome('invalid', `_since=${sinceParam} is not an instant`))
    const id = `job-${next++}`
    jobs.set(id, { ods, types: types as Type[], since, polls: 0, transactionTime: new Date().toISOString() })
    res.writeHead(202, { 'Content-Location': `${deps.baseUrl()}/bulk/${id}/status`, 'Content-Length': 0 })
    res.end()
  }

  function status(res: http.ServerResponse, id: string, job: Job) {
    job.polls++
    const ready = config.pollsBeforeReady ?? 1
    if (config.fail === 'status' && job.polls > ready) {
      log.polls.push({ at: Date.now(), status: 500 })
      jobs.delete(id)
      return json(res, 500, outcome('exception', 'The export failed: the practice system ran out of disk space'))
    }
    if (job.polls <= ready) {
      log.polls.push({ at: Date.now(), status: 202 })
      res.writeHead(202, {
        'Retry-After': String(config.retryAfterSeconds ?? 1),
        'X-Progress': `preparing (${Math.round((job.polls / (ready + 1)) * 100)}%)`,
        'Content-Length': 0,
      })
      return res.end()
    }
    log.polls.push({ at: Date.now(), status: 200 })
    res.writeHead(200, { 'Content-Type': 'application/json', Expires: new Date(Date.now() + 3_600_000).toUTCString() })
    res.end(
      JSON.stringify({
        transactionTime: job.transactionTime,
        request: `${deps.baseUrl()}/fhir/${job.ods}/$export`,
        requiresAccessToken: true,
        output: files(id, job),
        error: [],
      }),
    )
  }

  async function file(res: http.ServerResponse, job: Job, type: Type, part: number) {
    const all = matching(job, type)
    const lines = all.slice(part * perFile(), (part + 1) * perFile())
    log.files++
    res.writeHead(200, { 'Content-Type': 'application/fhir+ndjson' })
    const cut = type === job.types[0] && part === 0 ? config.truncateLine : undefined
    for (let i = 0; i < lines.length; i += 200) {
      let chunk = ''
      lines.slice(i, i + 200).forEach((r, k) => {
        const text = JSON.stringify(r)
        chunk += `${i + k + 1 === cut ? text.slice(0, Math.floor(text.length / 2)) : text}\n`
      })
      if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve))
      if (res.destroyed) return
    }
    res.end()
  }

  return {
    configure(c: BulkConfig) {
      config = { ...c }
    },
    log: () => log,
    /** Answers the request when it is a bulk-data one; false otherwise. */
    handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL): boolean {
      const kick = /^\/fhir\/([^/]+)\/\$export$/.exec(url.pathname)
      if (kick) {
        if (req.method !== 'GET' && req.method !== 'POST') json(res, 405, outcome('not-supported', 'Use GET for $export'))
        else kickOff(req, res, url, kick[1]!)
        return true
      }
      const route = /^\/bulk\/([a-z0-9-]+)\/(status|(AuditEvent|Consent)-(\d+)\.ndjson)$/.exec(url.pathname)
      if (!route) return false
      const job = jobs.get(route[1]!)
      if (!job) {
        json(res, 404, outcome('not-found', 'No such export (it may have expired)'))
        return true
      }
      if (route[2] === 'status') {
        if (req.method === 'DELETE') {
          jobs.delete(route[1]!)
          res.writeHead(202, { 'Content-Length': 0 })
          res.end()
        } else status(res, route[1]!, job)
        return true
      }
      file(res, job, route[3] as Type, Number(route[4])).catch(() => res.destroy())
      return true
    },
  }
}
