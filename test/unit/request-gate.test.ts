import { describe, expect, it } from 'vitest'
import { RequestGate } from '../../server/request-gate.js'

// The request gate (decision 044): at most `limit` requests at once, the rest in arrival order;
// a waiter whose client leaves, or who waits too long, is dropped and never runs.

const open = () => new AbortController().signal

describe('RequestGate', () => {
  it('lets `limit` in at once and the rest in arrival order as turns end', async () => {
    const gate = new RequestGate(2, 60_000)
    const a = await gate.enter(open())
    const b = await gate.enter(open())
    expect(a).toBeTypeOf('function')
    expect(b).toBeTypeOf('function')
    const started: string[] = []
    const c = gate.enter(open()).then((leave) => (started.push('c'), leave))
    const d = gate.enter(open()).then((leave) => (started.push('d'), leave))
    await new Promise((r) => setTimeout(r, 20))
    expect(started).toEqual([])
    expect(gate.queued).toBe(2)
    a!()
    const leaveC = await c
    expect(started).toEqual(['c'])
    // Leaving twice gives nothing away: d still waits for a real turn.
    a!()
    await new Promise((r) => setTimeout(r, 20))
    expect(started).toEqual(['c'])
    b!()
    const leaveD = await d
    expect(started).toEqual(['c', 'd'])
    leaveC!()
    leaveD!()
    expect(gate.queued).toBe(0)
    // All turns ended: the next request goes straight in.
    const e = await gate.enter(open())
    expect(e).toBeTypeOf('function')
    e!()
  })

  it('drops a waiter whose client has gone, and it never runs', async () => {
    const gate = new RequestGate(1, 60_000)
    const first = await gate.enter(open())
    const gone = new AbortController()
    const dropped = gate.enter(gone.signal)
    const next = gate.enter(open())
    gone.abort()
    expect(await dropped).toBeNull()
    expect(gate.queued).toBe(1)
    first!()
    const leave = await next
    expect(leave).toBeTypeOf('function')
    leave!()
    // A request whose client left before it asked is not let in at all.
    const aborted = new AbortController()
    aborted.abort()
    expect(await gate.enter(aborted.signal)).toBeNull()
  })

  it('answers null to a request that waited longer than its limit, and the queue moves on', async () => {
    const gate = new RequestGate(1, 150)
    const first = await gate.enter(open())
    const t0 = Date.now()
    expect(await gate.enter(open())).toBeNull()
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140)
    expect(gate.queued).toBe(0)
    first!()
    const again = await gate.enter(open())
    expect(again).toBeTypeOf('function')
    again!()
  })

  it('refuses a limit that is not a whole number of at least 1', () => {
    expect(() => new RequestGate(0, 1000)).toThrow(/at least 1/)
    expect(() => new RequestGate(1.5, 1000)).toThrow(/whole number/)
  })
})
