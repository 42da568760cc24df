import crypto from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requestTimestamp, TimestampError, verifyTimestamp } from '../../../core/timestamp.js'
import { startTestTsa, type TestTsa } from '../../support/tsa.js'

// RFC 3161 against a real time-stamping authority (openssl ts) on 127.0.0.1: a token for our
// digest and nonce, verified against the TSA's CA; a token for other data, a forged time, another
// CA's trust, and a TSA that is down are each refused with the reason.

let tsa: TestTsa
let other: TestTsa
const signature = crypto.randomBytes(64)

beforeAll(async () => {
  tsa = await startTestTsa()
  other = await startTestTsa()
}, 60_000)
afterAll(async () => {
  await tsa?.close()
  await other?.close()
})

describe('RFC 3161 time-stamps', () => {
  it('are granted for our digest, and verify against the TSA certificate', async () => {
    const before = Date.now()
    const ts = await requestTimestamp(tsa.url, signature)
    expect(tsa.answered).toBe(1)
    expect(ts.tsa).toBe(tsa.url)
    expect(Math.abs(Date.parse(ts.genTime) - before)).toBeLessThan(120_000)
    const verdict = await verifyTimestamp(ts, signature, tsa.caPem)
    expect(verdict).toMatchObject({ ok: true, genTime: ts.genTime })
    expect(verdict.message).toContain('signature verified with the TSA certificate')
    // without a trust anchor: digest and time checked, and it says the signer was not
    const unchecked = await verifyTimestamp(ts, signature)
    expect(unchecked.ok).toBe(true)
    expect(unchecked.message).toContain('was not checked')
  })

  it('are granted whatever random bytes the nonce is drawn from, leading zeros included', async () => {
    // A nonce whose first byte was zero was sent padded and refused (a CI run lost a checkpoint's time-stamp).
    for (const fill of [0x00, 0x7f, 0x80, 0xff]) {
      const ts = await requestTimestamp(tsa.url, signature, 20_000, (n) => Buffer.alloc(n, fill))
      expect((await verifyTimestamp(ts, signature, tsa.caPem)).ok, `nonce filled with ${fill}`).toBe(true)
    }
  })

  it('refuses a token for other data, a forged time, an untrusted TSA, and garbage', async () => {
    const ts = await requestTimestamp(tsa.url, signature)
    expect((await verifyTimestamp(ts, crypto.randomBytes(64), tsa.caPem)).message).toMatch(/time-stamps something else/)
    expect((await verifyTimestamp({ ...ts, genTime: '2020-01-01T00:00:00.000Z' }, signature, tsa.caPem)).message).toMatch(
      /the token says .* the checkpoint 2020-01-01/,
    )
    const untrusted = await verifyTimestamp(ts, signature, other.caPem)
    expect(untrusted.ok).toBe(false)
    expect(untrusted.message).toMatch(/does not verify with the TSA certificate/)
    expect((await verifyTimestamp({ ...ts, token: Buffer.from('not a token').toString('base64') }, signature)).message).toMatch(
      /unreadable/,
    )
  })

  it('says why when the TSA is down or not there', async () => {
    tsa.refuse = true
    await expect(requestTimestamp(tsa.url, signature)).rejects.toThrow(/answered HTTP 503/)
    tsa.refuse = false
    await expect(requestTimestamp('http://127.0.0.1:9/tsa', signature, 5_000)).rejects.toThrow(TimestampError)
  })
})
