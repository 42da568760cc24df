/**
 * First come, first served: at most `limit` requests are inside Remix at once in this process;
 * the others wait their turn in arrival order (decision 044).
 *
 * Why: Node interleaves every request it has started. With fifty pages in flight, each page's
 * queries queue behind all the others' in the connection pool and its rendering shares the core
 * with all of them, so every page finishes late together: under a steady load of people, the
 * slowest answers are several times the typical one. Taking pages in turn, a few at a time (so
 * one page's rendering overlaps another's wait for PostgreSQL), each page is answered in about
 * its own time plus the queue ahead of it.
 *
 * A turn ends when Remix hands back the response: a page has run its loaders and rendered; a
 * download has started streaming (a long export does not hold a turn while it streams).
 */
export class RequestGate {
  private running = 0
  private readonly waiting: Array<{ start: () => void }> = []

  constructor(
    readonly limit: number,
    /** A request that has waited this long is answered "busy" instead of waiting on. */
    readonly maxWaitMs: number,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error('RequestGate: limit must be a whole number of at least 1')
  }

  /** How many requests are waiting for a turn (for tests and diagnostics). */
  get queued(): number {
    return this.waiting.length
  }

  /**
   * Waits for a turn. Resolves with the function that ends it (call it exactly once), or with
   * null when the request waited `maxWaitMs` or its client went away (`signal`) first.
   */
  enter(signal: AbortSignal): Promise<(() => void) | null> {
    if (signal.aborted) return Promise.resolve(null)
    if (this.running < this.limit) {
      this.running++
      return Promise.resolve(this.leaver())
    }
    return new Promise((resolve) => {
      const entry = {
        start: () => {
          cleanup()
          this.running++
          resolve(this.leaver())
        },
      }
      const giveUp = () => {
        cleanup()
        const at = this.waiting.indexOf(entry)
        if (at >= 0) this.waiting.splice(at, 1)
        resolve(null)
      }
      const timer = setTimeout(giveUp, this.maxWaitMs)
      const cleanup = () => {
        clearTimeout(timer)
        signal.removeEventListener('abort', giveUp)
      }
      signal.addEventListener('abort', giveUp, { once: true })
      this.waiting.push(entry)
    })
  }

  private leaver(): () => void {
    let left = false
    return () => {
      if (left) return
      left = true
      this.running--
      this.waiting.shift()?.start()
    }
  }
}
