import { describe, expect, it } from 'vitest'
import { ndjsonLines } from '../../../jobs/fhir/ndjson.js'

/** A body that arrives in the given pieces (bytes may split a character). */
function body(pieces: Array<string | Uint8Array>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder()
  return new ReadableStream({
    start(controller) {
      for (const p of pieces) controller.enqueue(typeof p === 'string' ? encoder.encode(p) : p)
      controller.close()
    },
  })
}
async function lines(stream: ReadableStream<Uint8Array>, max = 1000) {
  const out: Array<string | 'TOO LONG'> = []
  for await (const l of ndjsonLines(stream, max, 1000, new AbortController().signal)) out.push(l.tooLong ? 'TOO LONG' : l.text)
  return out
}

describe('ndjsonLines', () => {
  it('splits lines across chunks, CRLF or LF, with a last line without newline', async () => {
    expect(await lines(body(['{"a":1}\n{"b"', ':2}\r\n', '\n{"c":3}']))).toEqual(['{"a":1}', '{"b":2}', '', '{"c":3}'])
  })

  it('keeps a character split between chunks whole', async () => {
    const bytes = new TextEncoder().encode('{"name":"Tŵr Łódź"}\n')
    expect(await lines(body([bytes.slice(0, 12), bytes.slice(12)]))).toEqual(['{"name":"Tŵr Łódź"}'])
  })

  it('reports a line longer than the limit without keeping it, and reads on', async () => {
    expect(await lines(body(['short\n', 'x'.repeat(30), 'y'.repeat(30), '\nafter\n', 'z'.repeat(80)]), 50)).toEqual([
      'short',
      'TOO LONG',
      'after',
      'TOO LONG',
    ])
  })

  it('gives up on a body that stalls', async () => {
    const stalled = new ReadableStream<Uint8Array>({ start: (c) => c.enqueue(new TextEncoder().encode('{"a":1}\n')) })
    const seen: string[] = []
    await expect(
      (async () => {
        for await (const l of ndjsonLines(stalled, 1000, 50, new AbortController().signal)) seen.push(l.text)
      })(),
    ).rejects.toThrow(/nothing arrived for 50 ms/)
    expect(seen).toEqual(['{"a":1}'])
  })
})
