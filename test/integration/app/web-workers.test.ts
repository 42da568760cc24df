import { spawn } from 'node:child_process'
import net from 'node:net'
import { describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../support/db.js'
import { TEST_PSEUDONYM_KEY } from '../../support/test-env.js'

// npm start with WEB_WORKERS=2 on PostgreSQL: two web processes share the port, the primary
// keeps the scheduler, and SIGTERM stops them all cleanly.

const t = useTestDatabase()

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo
      probe.close(() => resolve(port))
    })
  })
}

function startServer(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server.ts'], {
    env: { ...process.env, NODE_ENV: 'test', DATABASE_URL: t.url, PSEUDONYM_KEY: TEST_PSEUDONYM_KEY, SESSION_SECRET: 'test-session-secret-0123456789abcdef', SCHEDULER: 'off', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (d) => (output += d))
  child.stderr.on('data', (d) => (output += d))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return { child, output: () => output, exited }
}

describe('WEB_WORKERS (node:cluster, PostgreSQL only)', () => {
  it('serves from two processes and stops them all on SIGTERM', { timeout: 120_000 }, async () => {
    const port = await freePort()
    const server = startServer({ WEB_WORKERS: '2', PORT: String(port) })
    const until = Date.now() + 90_000
    while (!/running at .*\(2 web processes/.test(server.output())) {
      if (Date.now() > until) throw new Error(`the server did not start: ${server.output()}`)
      if (server.child.exitCode !== null) throw new Error(`the server exited: ${server.output()}`)
      await new Promise((r) => setTimeout(r, 100))
    }
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`http://127.0.0.1:${port}/login`)
      expect(res.status).toBe(200)
      expect(await res.text()).toContain('Sign in')
    }
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
    // No worker outlives the primary: the port is free again.
    await new Promise<void>((resolve, reject) => {
      const probe = net.createServer().once('error', reject)
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()))
    })
  })

  it('refuses a WEB_WORKERS that is not a sensible whole number, in one sentence', { timeout: 60_000 }, async () => {
    const server = startServer({ WEB_WORKERS: 'two', PORT: String(await freePort()) })
    expect(await server.exited).toBe(1)
    expect(server.output()).toMatch(/WEB_WORKERS must be a whole number from 1 to \d+/)
  })
})
