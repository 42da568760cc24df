import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { createRequestHandler } from '@remix-run/express'
import type { ServerBuild } from '@remix-run/node'
import express from 'express'
import { ConfigError, loadConfig, type Config } from './config/env.js'
import { EmbeddedDatabaseBusyError, openDatabase, type DbHandle } from './db/client.js'
import { migrateLatest } from './db/migrate.js'
import { startScheduler } from './jobs/scheduler.js'

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
  // Asset file names carry a content hash, so they can be cached for good.
  app.use('/build', express.static(path.join(ROOT, 'public/build'), { immutable: true, maxAge: '1y' }))
  // The other public files (favicon) all have an extension: pages do not, and are not looked
  // for on disk (a failed stat per page view is wasted work under load).
  const publicFiles = express.static(path.join(ROOT, 'public'), { maxAge: '1h', index: false, redirect: false })
  app.use((req, res, next) => (path.extname(req.path) ? publicFiles(req, res, next) : next()))
  app.all(
    '*',
    createRequestHandler({ build, mode: config.nodeEnv, getLoadContext: (req) => ({ db: handle.db, config, ip: req.ip ?? null, stopSignal: stopping.signal }) }),
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
    ? startScheduler({ db: handle.db, target: handle.target, config, signal: stopping.signal, log })
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

async function loadServerBuild(): Promise<ServerBuild> {
  if (!fs.existsSync(SERVER_BUILD)) {
    throw new StartupError('The app has not been built: run `npm run build` first.')
  }
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

async function main() {
  const server = await startServer()
  const shutdown = async (signal: string) => {
    console.log(`${signal}: finishing the batch in hand, then stopping (press Ctrl-C again to stop at once).`)
    await server.close()
    process.exit(0)
  }
  // once: a second signal gets Node's default handling and ends the process immediately.
  process.once('SIGTERM', shutdown)
  process.once('SIGINT', shutdown)
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    const expected = err instanceof ConfigError || err instanceof EmbeddedDatabaseBusyError || err instanceof StartupError
    console.error(expected ? err.message : err)
    process.exit(1)
  })
}
