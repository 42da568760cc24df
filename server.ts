import cluster from 'node:cluster'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { ServerBuild } from '@remix-run/node'
import express from 'express'
import { ConfigError, loadConfig, requireSessionSecret, requireSigningKey, type Config } from './config/env.js'
import { EmbeddedDatabaseBusyError, openDatabase, type DbHandle } from './db/client.js'
import { migrateLatest } from './db/migrate.js'
import { startScheduler } from './jobs/scheduler.js'
import { scheduledReportsJob } from './jobs/scheduled-reports.js'
import { produceScheduledReport } from './reports/scheduled.js'
import { createRequestHandler } from './server/request-handler.js'
import { RequestGate } from './server/request-gate.js'
import { securityHeaders } from './server/security-headers.js'

const ROOT = path.dirname(fileURLToPath(import.meta.url))
const SERVER_BUILD = path.join(ROOT, 'build/server/index.js')

/** A start-up problem the person running the server can fix; printed as one sentence. */
export class StartupError extends Error {}

export interface StartServerOptions {
  /** 0 picks a free port. Default: config.port. */
  port?: number
  /** An open, migrated database that stays the caller's to close (tests, the demo). */
  handle?: DbHandle
  config?: Config
  quiet?: boolean
}

export interface RunningServer {
  url: string
  /** Stops the scheduler (jobs finish the batch in hand), the HTTP server, then the database. */
  close(): Promise<void>
}

/**
 * Serves the dashboard and, when configured, runs the job scheduler in the same process: the
 * embedded database (PGlite) allows one process only, so the web server and the collectors
 * must share it. With PostgreSQL, more runner processes may join (see jobs/scheduler.ts).
 */
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const config = options.config ?? loadConfig()
  requireSessionSecret(config)
  requireSigningKey(config) // reports are signed: refuse to start rather than fail at the first download
  const log = options.quiet ? () => {} : (line: string) => console.log(line)
  if (config.usingDevelopmentSecrets && !options.quiet) {
    console.warn(
      '!!! WARNING: using the built-in DEVELOPMENT pseudonym key. Demo data only: never load real patient data until PSEUDONYM_KEY is set. !!!',
    )
  }
  const build = await loadServerBuild()
  const handle = options.handle ?? (await openMigratedDatabase(config))
  const ownsHandle = !options.handle

  // Aborted on shutdown: scheduled jobs and "run now" collections stop after the batch in hand.
  const stopping = new AbortController()
  const app = express()
  app.disable('x-powered-by')
  app.use(securityHeaders({ https: config.session.secureCookies, formTargets: config.oidc ? [config.oidc.issuer.origin] : [] }))
  // Asset file names carry a content hash, so they can be cached for good.
  app.use('/build', express.static(path.join(ROOT, 'public/build'), { immutable: true, maxAge: '1y' }))
  // The other public files (favicon) all have an extension: pages do not, and are not looked
  // for on disk (a failed stat per page view is wasted work under load).
  const publicFiles = express.static(path.join(ROOT, 'public'), { maxAge: '1h', index: false, redirect: false })
  app.use((req, res, next) => (path.extname(req.path) ? publicFiles(req, res, next) : next()))
  // Browsers ask for /favicon.ico whenever a page names no icon (an error shown in place of a
  // page is one): the one icon, rather than a "not found" page rendered for it.
  app.get('/favicon.ico', (_req, res) => res.redirect(301, '/favicon.svg'))
  app.all(
    '*',
    createRequestHandler(
      build,
      config.nodeEnv,
      (req, res) => ({
        db: handle.db,
        config,
        ip: req.ip ?? null,
        stopSignal: stopping.signal,
        viewerMemo: new Map(),
        cspNonce: res.locals.cspNonce as string,
        whenResponseSent: () => responseSent(res),
      }),
      new RequestGate(config.requestConcurrency, config.requestQueueTimeoutMs),
    ),
  )

  const host = process.env.HOST ?? '127.0.0.1'
  let server: Server
  try {
    server = await listen(app, options.port ?? config.port, host)
  } catch (err) {
    if (ownsHandle) await handle.close()
    throw err
  }
  const { port } = server.address() as AddressInfo
  const url = `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${port}`

  const scheduler = config.schedules.enabled
    ? startScheduler({ db: handle.db, target: handle.target, config, signal: stopping.signal, log }, [
        scheduledReportsJob(produceScheduledReport),
      ])
    : null
  log(`Sharing Ledger is running at ${url}${scheduler ? ' (scheduled collection on)' : ''}`)

  let closing: Promise<void> | undefined
  return {
    url,
    close() {
      closing ??= (async () => {
        stopping.abort()
        await Promise.all([
          scheduler?.stop(),
          new Promise<void>((resolve, reject) => {
            server.close((err) => (err ? reject(err) : resolve()))
            server.closeIdleConnections()
          }),
        ])
        if (ownsHandle) await handle.close()
      })()
      return closing
    },
  }
}

/** True once the response's last byte has been handed to the network ('finish'); false if the connection closed first. */
function responseSent(res: express.Response): Promise<boolean> {
  return new Promise((resolve) => {
    res.once('finish', () => resolve(true))
    res.once('close', () => resolve(res.writableFinished))
  })
}

function requireServerBuild(): void {
  if (!fs.existsSync(SERVER_BUILD)) throw new StartupError('The app has not been built: run `npm run build` first.')
}

async function loadServerBuild(): Promise<ServerBuild> {
  requireServerBuild()
  return (await import(pathToFileURL(SERVER_BUILD).href)) as ServerBuild
}

async function openMigratedDatabase(config: Config): Promise<DbHandle> {
  const handle = await openDatabase(config.database)
  try {
    await migrateLatest(handle.db)
    return handle
  } catch (err) {
    await handle.close()
    throw err
  }
}

function listen(app: express.Express, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host)
    server.once('listening', () => resolve(server))
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new StartupError(`Port ${port} on ${host} is already in use: stop the program using it, or set PORT to another port.`)
          : err,
      ),
    )
  })
}

/**
 * `npm start`. With PostgreSQL, WEB_WORKERS=N (default 1) serves the dashboard from N processes
 * (node:cluster; they share the port): one Node process renders pages on one core only, so on a
 * machine where PostgreSQL leaves a core idle under load, a second process can serve more pages.
 * Whether it does depends on the machine: measure with `WEB_WORKERS=2 npm run bench`. The primary
 * process migrates the database, runs the scheduler (so it runs in exactly one process) and serves
 * nothing itself; each worker serves pages with its own connection pool. Embedded (PGlite) mode
 * always runs in one process: PGlite allows one process only.
 */
async function main() {
  const config = loadConfig()
  const workers = config.database.kind === 'postgres' ? webWorkers() : 1
  if (workers <= 1) return serveUntilSignalled(await startServer({ config }))
  if (cluster.isWorker) return runWorker(config)
  return runPrimary(config, workers)
}

function webWorkers(): number {
  const asked = process.env.WEB_WORKERS
  if (asked === undefined || asked === '') return 1
  const n = Number(asked)
  const most = 4 * os.availableParallelism()
  if (!Number.isInteger(n) || n < 1 || n > most)
    throw new ConfigError(`WEB_WORKERS must be a whole number from 1 to ${most} (how many processes serve the dashboard).`)
  return n
}

/** Stops `server` on SIGTERM or SIGINT; a second signal gets Node's default handling and ends the process at once. */
function serveUntilSignalled(server: { close(): Promise<void> }, quiet = false) {
  const shutdown = async (signal: string) => {
    if (!quiet) console.log(`${signal}: finishing the batch in hand, then stopping (press Ctrl-C again to stop at once).`)
    await server.close()
    process.exit(0)
  }
  process.once('SIGTERM', shutdown)
  process.once('SIGINT', shutdown)
}

/** A web worker: pages only, no scheduler and no migrations (the primary ran them). */
async function runWorker(config: Config) {
  const handle = await openDatabase(config.database)
  const server = await startServer({ config: { ...config, schedules: { ...config.schedules, enabled: false } }, handle, quiet: true })
  let closing: Promise<void> | undefined
  serveUntilSignalled({ close: () => (closing ??= server.close().finally(() => handle.close())) }, true)
  process.send?.({ listening: server.url })
}

async function runPrimary(config: Config, workers: number) {
  // PostgreSQL mode only, which refuses the development pseudonym key (config/env.ts).
  requireServerBuild()
  const handle = await openMigratedDatabase(config)
  const stopping = new AbortController()
  let stoppingWorkers = false
  const exited = new Map<number, Promise<void>>()
  const urls: string[] = []
  const started = new Promise<void>((resolve) => {
    for (let i = 0; i < workers; i++) {
      const worker = cluster.fork()
      exited.set(worker.id, new Promise((done) => worker.once('exit', () => done())))
      worker.on('message', (m: { listening?: string }) => {
        if (m.listening && urls.push(m.listening) === workers) resolve()
      })
      worker.once('exit', (code, signal) => {
        if (stoppingWorkers) return
        // A worker that fails stops the service (as a crash of the single process would), so
        // the supervisor restarts it whole rather than it running short-handed unnoticed.
        console.error(`A web worker stopped (${signal ?? `exit code ${code}`}); stopping the server.`)
        void stop(1)
      })
    }
  })
  const scheduler = config.schedules.enabled
    ? startScheduler({ db: handle.db, target: handle.target, config, signal: stopping.signal, log: (line) => console.log(line) }, [
        scheduledReportsJob(produceScheduledReport),
      ])
    : null
  let stopped: Promise<void> | undefined
  const stop = (code: number) =>
    (stopped ??= (async () => {
      stoppingWorkers = true
      stopping.abort()
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM')
      await Promise.all([scheduler?.stop(), ...exited.values()])
      await handle.close()
      process.exit(code)
    })())
  const onSignal = (signal: string) => {
    console.log(`${signal}: finishing the batch in hand, then stopping (press Ctrl-C again to stop at once).`)
    void stop(0)
  }
  process.once('SIGTERM', onSignal)
  process.once('SIGINT', onSignal)
  await started
  console.log(`Sharing Ledger is running at ${urls[0]} (${workers} web processes${scheduler ? ', scheduled collection on' : ''})`)
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    const expected = err instanceof ConfigError || err instanceof EmbeddedDatabaseBusyError || err instanceof StartupError
    console.error(expected ? err.message : err)
    process.exit(1)
  })
}
