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

export class SectionDigest {
  private readonly hash = crypto.createHash('sha256')
  private readonly deflate = zlib.createDeflate()
  private readonly deflated: Buffer[] = []
  private size = 0
  rows = 0

  constructor() {
    this.deflate.on('data', (chunk: Buffer) => this.deflated.push(chunk))
  }

  add(values: unknown[]): void {
    const line = (this.rows > 0 ? '\n' : '') + JSON.stringify(values.map(canonicalValue))
    this.hash.update(line)
    this.deflate.write(line)
    this.size += Buffer.byteLength(line)
    this.rows += 1
  }

  digest(): string {
    return this.hash.copy().digest('hex')
  }

  /** Ends the compressed copy: the rows' bytes deflated, and their uncompressed size. */
  async finish(): Promise<{ deflated: Buffer[]; size: number }> {
    const ended = once(this.deflate, 'end')
    this.deflate.end()
    await ended
    return { deflated: this.deflated, size: this.size }
  }

  /** Drops the compressed copy (a report that failed half way). */
  discard(): void {
    this.deflate.destroy()
  }
}
