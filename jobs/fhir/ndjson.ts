/** One line of an NDJSON body: its text, or that it was longer than allowed (its text dropped). */
export interface NdjsonLine {
  text: string
  tooLong: boolean
}

/**
 * The lines of an NDJSON body as they arrive, never the whole body in memory: a line longer
 * than `maxLineBytes` is reported as too long and skipped to its end. A read that brings
 * nothing for `idleMs` ends the body with an error (a stalled server cannot hold the run); the
 * last line without a newline is a line too.
 */
export async function* ndjsonLines(
  body: ReadableStream<Uint8Array>,
  maxLineBytes: number,
  idleMs: number,
  signal: AbortSignal,
): AsyncGenerator<NdjsonLine> {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  let pending = ''
  let overflow = false
  let finished = false
  try {
    for (;;) {
      const { done, value } = await readWithin(reader, idleMs, signal)
      const text = done ? decoder.decode() : decoder.decode(value, { stream: true })
      let start = 0
      for (let nl = text.indexOf('\n', start); nl !== -1; nl = text.indexOf('\n', start)) {
        const piece = text.slice(start, nl)
        start = nl + 1
        if (overflow || pending.length + piece.length > maxLineBytes) yield { text: '', tooLong: true }
        else yield { text: (pending + piece).replace(/\r$/, ''), tooLong: false }
        pending = ''
        overflow = false
      }
      const rest = text.slice(start)
      if (!overflow) {
        if (pending.length + rest.length > maxLineBytes) {
          overflow = true
          pending = ''
        } else pending += rest
      }
      if (done) {
        finished = true
        if (overflow) yield { text: '', tooLong: true }
        else if (pending !== '') yield { text: pending, tooLong: false }
        return
      }
    }
  } finally {
    if (!finished) reader.cancel().catch(() => {})
  }
}

async function readWithin(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  idleMs: number,
  signal: AbortSignal,
): Promise<ReadableStreamReadResult<Uint8Array>> {
  let timer: NodeJS.Timeout | undefined
  let onAbort: (() => void) | undefined
  const stop = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`nothing arrived for ${idleMs} ms`)), idleMs)
    onAbort = () => reject(signal.reason)
    if (signal.aborted) onAbort()
    else signal.addEventListener('abort', onAbort, { once: true })
  })
  stop.catch(() => {})
  try {
    return await Promise.race([reader.read(), stop])
  } finally {
    clearTimeout(timer)
    if (onAbort) signal.removeEventListener('abort', onAbort)
  }
}
