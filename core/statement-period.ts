/** Six years back to today: the span the accounting-of-disclosures rule covers, and a statement's default. */
export function defaultStatementPeriod(today = new Date()): { from: string; to: string } {
  const to = today.toISOString().slice(0, 10)
  const from = new Date(Date.UTC(today.getUTCFullYear() - 6, today.getUTCMonth(), today.getUTCDate() + 1)).toISOString().slice(0, 10)
  return { from: from < '2000-01-01' ? '2000-01-01' : from, to }
}
