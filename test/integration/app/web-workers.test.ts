import net from 'node:net'
import { describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../support/db.js'
import { startServerProcess } from '../../support/server-process.js'

// npm start with WEB_WORKERS=2 on PostgreSQL: two web processes share the port, the primary
// keeps the scheduler, and SIGTERM stops them all cleanly.

const t = useTestDatabase()

describe('WEB_WORKERS (node:cluster, PostgreSQL only)', () => {
  it('serves from two processes and stops them all on SIGTERM', { timeout: 120_000 }, async () => {
    const server = await startServerProcess(t.url, { WEB_WORKERS: '2' }, /running at .*\(2 web processes/)
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`${server.url}/login`)
      expect(res.status).toBe(200)
      expect(await res.text()).toContain('Sign in')
    }
    expect(await server.stop()).toBe(0)
    // No worker outlives the primary: the port is free again.
    await new Promise<void>((resolve, reject) => {
      const probe = net.createServer().once('error', reject)
      probe.listen(Number(new URL(server.url).port), '127.0.0.1', () => probe.close(() => resolve()))
    })
  })

  it('refuses a WEB_WORKERS that is not a sensible whole number, in one sentence', { timeout: 60_000 }, async () => {
    await expect(startServerProcess(t.url, { WEB_WORKERS: 'two' })).rejects.toThrow(/WEB_WORKERS must be a whole number from 1 to \d+/)
  })
})
