import crypto from 'node:crypto'

// The manifest's digest of one section: SHA-256 over its rows in canonical form, one JSON
// array per row (values in a fixed column order, times as ISO-8601 UTC, numbers as numbers),
// joined by "\n", rows in the order the section prints them. Same scope + same data => same
// digest, whatever the report id or the time it was generated.

export function canonicalValue(v: unknown): unknown {
  if (v === null || v === undefined) return null
  if (v instanceof Date) return v.toISOString()
  if (typeof v === 'bigint') return v.toString()
  return v
}

export class SectionDigest {
  private readonly hash = crypto.createHash('sha256')
  rows = 0

  add(values: unknown[]): void {
    if (this.rows > 0) this.hash.update('\n')
    this.hash.update(JSON.stringify(values.map(canonicalValue)))
    this.rows += 1
  }

  digest(): string {
    return this.hash.copy().digest('hex')
  }
}
