import { describe, expect, it } from 'vitest'
import { ConfigError, DEFAULT_REQUEST_CONCURRENCY, loadConfig } from '../../config/env.js'

// The web process's request gate (decision 044) and prepared reads (decision 045): each setting
// has a default, and a value out of its bounds stops start-up with the setting named.

const base = { DATABASE_URL: 'postgres://x/y', PSEUDONYM_KEY: 'k'.repeat(40), NODE_ENV: 'test' as const }

describe('request gate and database settings', () => {
  it('defaults: 4 requests at a time, 30 s wait, prepared reads on', () => {
    const c = loadConfig(base)
    expect(c.requestConcurrency).toBe(DEFAULT_REQUEST_CONCURRENCY)
    expect(c.requestQueueTimeoutMs).toBe(30_000)
    expect(c.database).toEqual({ kind: 'postgres', url: 'postgres://x/y', preparedReads: true })
  })

  it.each([
    ['REQUEST_CONCURRENCY', '1', 'requestConcurrency', 1],
    ['REQUEST_CONCURRENCY', '1000', 'requestConcurrency', 1000],
    ['REQUEST_QUEUE_TIMEOUT_MS', '100', 'requestQueueTimeoutMs', 100],
    ['REQUEST_QUEUE_TIMEOUT_MS', '300000', 'requestQueueTimeoutMs', 300_000],
  ] as const)('takes %s=%s', (name, value, key, expected) => {
    expect(loadConfig({ ...base, [name]: value })[key]).toBe(expected)
  })

  it.each([
    ['REQUEST_CONCURRENCY', '0'],
    ['REQUEST_CONCURRENCY', '1001'],
    ['REQUEST_CONCURRENCY', '2.5'],
    ['REQUEST_CONCURRENCY', 'many'],
    ['REQUEST_QUEUE_TIMEOUT_MS', '99'],
    ['REQUEST_QUEUE_TIMEOUT_MS', '300001'],
    ['DATABASE_PREPARED_READS', 'yes'],
  ])('refuses %s=%s, naming the setting', (name, value) => {
    expect(() => loadConfig({ ...base, [name]: value })).toThrow(ConfigError)
    expect(() => loadConfig({ ...base, [name]: value })).toThrow(new RegExp(`^Configuration error: ${name} `))
  })

  it('DATABASE_PREPARED_READS=off reaches the database target; the embedded database has none', () => {
    expect(loadConfig({ ...base, DATABASE_PREPARED_READS: 'off' }).database).toMatchObject({ preparedReads: false })
    expect(loadConfig({ NODE_ENV: 'test' }).database.kind).toBe('embedded')
  })
})
