import crypto from 'node:crypto'
import { once } from 'node:events'
import zlib from 'node:zlib'

// The manifest's digest of one section: SHA-256 over its rows in canonical form, one JSON
// array per row (values in a fixed column order, times as ISO-8601 UTC, numbers as numbers),
// joined by "\n", rows in the order the section prints them. Same scope + same data => same
// digest, whatever the report id or the time it was generated.
//
// The same bytes are compressed as they come and attached to the PDF (reports/signature.ts),
// so an auditor can re-count the rows and recompute the digest from the file alone.

export function canonicalValue(v: unknown): unknown {
  if (v === null || v === undefined) return null
  if (v instanceof Date) return v.toISOString()
  if (typeof v === 'bigint') return v.toString()
  return v
}

const DEFLATE_CHUNK = 64 * 1024

export class SectionDigest {
  private readonly hash = crypto.createHash('sha256')
  private readonly deflate = zlib.createDeflate()
  private readonly deflated: Buffer[] = []
  private size = 0
  /** Lines not yet given to deflate: one zlib write per ~64 KB, not per row (a write per row queued faster than zlib took them). */
  private pending: string[] = []
  private pendingBytes = 0
  rows = 0

  constructor() {
    this.deflate.on('data', (chunk: Buffer) => this.deflated.push(chunk))
  }

  add(values: unknown[]): void {
    const line = (this.rows > 0 ? '\n' : '') + JSON.stringify(values.map(canonicalValue))
    this.hash.update(line)
    const bytes = Buffer.byteLength(line)
    this.pending.push(line)
    this.pendingBytes += bytes
    if (this.pendingBytes >= DEFLATE_CHUNK) this.flush()
    this.size += bytes
    this.rows += 1
  }

  private flush(): void {
    if (this.pending.length === 0) return
    this.deflate.write(this.pending.join(''))
    this.pending = []
    this.pendingBytes = 0
  }

  digest(): string {
    return this.hash.copy().digest('hex')
  }

  /** Ends the compressed copy: the rows' bytes deflated, and their uncompressed size. */
  async finish(): Promise<{ deflated: Buffer[]; size: number }> {
    const ended = once(this.deflate, 'end')
    this.flush()
    this.deflate.end()
    await ended
    return { deflated: this.deflated, size: this.size }
  }

  /** Drops the compressed copy (a report that failed half way). */
  discard(): void {
    this.deflate.destroy()
  }
}
