// Phase (e), load: the real server in its own process, signed-in sessions at a page a second
// each (paced), then the same sessions with no pause (saturation, by autocannon).
import { execFileSync, spawn } from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import autocannon from 'autocannon'
import { DEFAULT_REQUEST_CONCURRENCY } from '../config/env.js'
import type { DbHandle } from '../db/client.js'
import { createUser } from '../db/queries/users.js'
import {
  BENCH_PSEUDONYM_KEY,
  BENCH_SESSION_SECRET,
  BENCH_SIGNING_KEY,
  benchUrl,
  log,
  quantile,
  round,
  type BenchOptions,
} from './common.js'
import type { Bulk } from './dataset.js'
/**
 * The real server (server.ts) in its own process, so the load generator's event loop does not
 * share a core's worth of JavaScript with the server's. Stopped with SIGTERM by its pid.
 */
async function startServerProcess(): Promise<{ url: string; stderr(): string; close(): Promise<void> }> {
  const port = await new Promise<number>((resolve, reject) => {
    const probe = net.createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const p = (probe.address() as net.AddressInfo).port
      probe.close(() => resolve(p))
    })
  })
  const child = spawn(process.execPath, ['--import', 'tsx', 'server.ts'], {
    cwd: path.resolve(import.meta.dirname, '..'),
    env: {
      ...process.env,
      DATABASE_URL: benchUrl,
      PSEUDONYM_KEY: BENCH_PSEUDONYM_KEY,
      SESSION_SECRET: BENCH_SESSION_SECRET,
      SIGNING_KEY: BENCH_SIGNING_KEY,
      // As deployed: React's production build renders several times faster than its development
      // one, and one web process per core (WEB_WORKERS, README) unless told otherwise.
      NODE_ENV: 'production',
      WEB_WORKERS: process.env.WEB_WORKERS ?? String(os.availableParallelism()),
      SCHEDULER: 'off',
      PORT: String(port),
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited with code ${child.exitCode}: ${stderr}`)
    try {
      const res = await fetch(`${url}/healthz`)
      await res.arrayBuffer()
      if (res.status < 500) break
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGTERM')
      throw new Error(`the server did not start within 60 s: ${stderr}`)
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  return {
    url,
    stderr: () => stderr,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve()
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
        child.once('exit', () => {
          clearTimeout(timer)
          resolve()
        })
        child.kill('SIGTERM')
      }),
  }
}

/** The server runs the production build; make one if there is none or it is a development build. */
function ensureProductionBuild() {
  const root = path.resolve(import.meta.dirname, '..')
  const serverBuild = path.join(root, 'build/server/index.js')
  if (fs.existsSync(serverBuild) && !fs.readFileSync(serverBuild, 'utf8').includes('jsxDEV')) return
  log('load: building the app for production (npm run build)')
  execFileSync(path.join(root, 'node_modules/.bin/remix'), ['build'], {
    cwd: root,
    stdio: 'ignore',
    env: { ...process.env, NODE_ENV: 'production' },
  })
}

/**
 * People, not loops: each session opens a page, reads it, opens the next, with the gaps between
 * its page requests drawn at random around 1 / rate seconds (exponential, so arrivals across
 * sessions are independent, as real users' are; seeded, so runs repeat). A session's own
 * requests never overlap (one keep-alive connection each); a page's latency counts from when
 * the session wanted it, so a slow answer also charges the wait it causes to the next one
 * (no coordinated omission).
 */
async function pacedSessions(o: { url: string; cookies: string[]; paths: string[]; sessions: number; rate: number; seconds: number }) {
  let seed = 20261205
  const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296
  const gap = () => (-Math.log(1 - random()) / o.rate) * 1000
  const get = (pathname: string, cookie: string, agent: http.Agent) =>
    new Promise<number>((resolve, reject) => {
      const req = http.get(`${o.url}${pathname}`, { agent, headers: { cookie } }, (res) => {
        res.resume()
        res.once('end', () => resolve(res.statusCode ?? 0))
        res.once('error', reject)
      })
      req.setTimeout(30_000, () => req.destroy(new Error('timed out')))
      req.once('error', reject)
    })
  const latencies: number[] = []
  const statuses: Record<string, number> = {}
  let errors = 0
  const start = performance.now() + 50
  const end = start + o.seconds * 1000
  await Promise.all(
    Array.from({ length: o.sessions }, async (_, i) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
      const cookie = o.cookies[i % o.cookies.length]!
      try {
        for (let due = start + gap(), n = i; due < end; due += gap(), n++) {
          const wait = due - performance.now()
          if (wait > 0) await new Promise((r) => setTimeout(r, wait))
          const status = await get(o.paths[n % o.paths.length]!, cookie, agent).catch(() => 'network')
          statuses[String(status)] = (statuses[String(status)] ?? 0) + 1
          if (status !== 200) errors++
          latencies.push(performance.now() - due)
        }
      } finally {
        agent.destroy()
      }
    }),
  )
  const seconds = (performance.now() - start) / 1000
  latencies.sort((a, b) => a - b)
  return {
    pagesPerSecondPerSession: o.rate,
    seconds: round(seconds),
    requests: latencies.length,
    requestsPerSec: round(latencies.length / seconds, 1),
    p50: round(quantile(latencies, 0.5)),
    p90: round(quantile(latencies, 0.9)),
    p97_5: round(quantile(latencies, 0.975)),
    p99: round(quantile(latencies, 0.99)),
    max: round(latencies[latencies.length - 1] ?? NaN),
    errors,
    statuses,
  }
}

export async function load(handle: DbHandle, bulk: Bulk, opts: BenchOptions) {
  ensureProductionBuild()
  const server = await startServerProcess()
  try {
    const password = 'benchmark password 0123456789'
    const users: string[] = []
    for (let i = 0; i < 10; i++) {
      const email = `bench.manager${i}.${process.pid}@example.nhs.uk`
      await createUser(handle.db, {
        email,
        password,
        role: 'practice_manager',
        practiceIds: [bulk.practiceIds[i % bulk.practiceIds.length]!],
      })
      const res = await fetch(`${server.url}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: server.url },
        body: new URLSearchParams({ email, password, redirectTo: '/' }),
      })
      const cookie = res.headers
        .getSetCookie()
        .map((c) => c.split(';')[0])
        .join('; ')
      if (res.status >= 400 || !cookie) throw new Error(`sign-in failed for the load test: HTTP ${res.status}`)
      users.push(cookie)
    }
    // Sanity: a signed-in GET renders the page, not the sign-in form.
    const check = await fetch(`${server.url}/`, { headers: { Cookie: users[0]! }, redirect: 'manual' })
    if (check.status !== 200)
      throw new Error(`the overview answered HTTP ${check.status} to a signed-in user; the server said: ${server.stderr().slice(-2000)}`)
    await check.text()

    const paths = ['/', '/disclosures']
    // Saturation by autocannon (HTTP/1.1 keep-alive, one connection per session, each alternating
    // the two pages): a lean load generator, so the two cores go to the server and PostgreSQL
    // rather than to the generator. Connection i signs in as user i % 10.
    let connection = 0
    const run = (seconds: number, connections: number) =>
      autocannon({
        url: server.url,
        connections,
        duration: seconds,
        timeout: 30,
        setupClient: (client) => {
          const i = connection++
          const cookie = users[i % users.length]!
          // Half the connections start on each page, so both are always in flight.
          const order = i % 2 === 0 ? paths : [...paths].reverse()
          client.setRequests(order.map((page) => ({ method: 'GET', path: page, headers: { cookie } })))
        },
      })
    const saturate = async () => {
      connection = 0
      const result = await run(opts.loadSeconds, opts.concurrency)
      const statuses = Object.fromEntries(
        Object.entries(result.statusCodeStats ?? {}).map(([code, s]) => [code, Number((s as { count: number | string }).count)]),
      )
      return {
        pagesPerSecondPerSession: null,
        seconds: round(result.duration),
        requests: result.requests.total,
        requestsPerSec: round(result.requests.total / result.duration, 1),
        p50: result.latency.p50,
        p90: result.latency.p90,
        p97_5: result.latency.p97_5,
        p99: result.latency.p99,
        max: result.latency.max,
        errors: result.errors + result.timeouts + result.non2xx,
        statuses,
      }
    }
    // Warm-up (JIT, connection pool, caches): 3 s of the same traffic, not measured.
    await run(3, Math.min(10, opts.concurrency))
    // Two questions: 50 signed-in people each opening a page about every second (already far
    // busier than a governance team), and the saturation point: 50 clients that never pause.
    const paced = await pacedSessions({
      url: server.url,
      cookies: users,
      paths,
      sessions: opts.concurrency,
      rate: opts.sessionRate,
      seconds: opts.loadSeconds,
    })
    const saturated = await saturate()
    const autocannonVersion = JSON.parse(
      fs.readFileSync(path.resolve(import.meta.dirname, '../node_modules/autocannon/package.json'), 'utf8'),
    ).version
    return {
      generator: `autocannon ${autocannonVersion}`,
      webWorkers: Number(process.env.WEB_WORKERS ?? os.availableParallelism()),
      requestConcurrency: Number(process.env.REQUEST_CONCURRENCY || DEFAULT_REQUEST_CONCURRENCY),
      concurrency: opts.concurrency,
      paths,
      sessions: users.length,
      paced,
      saturated,
    }
  } finally {
    await server.close()
  }
}
