import { formatDateTime } from '../../core/format.js'

export interface LedgerStatusData {
  lastCheckpoint: {
    id: number
    createdAt: string
    chains: number
    developmentKey: boolean
    createdBy: string
    timestamp: { tsa: string; genTime: string } | { error: string } | null
  } | null
  lastVerification: {
    finishedAt: string
    intact: boolean
    runBy: string
    scope: string
    entries: number
    rowsChecked: number
    problemCount: number
    problems: string[]
  } | null
}

/** The tamper-evident ledger's state (decision 024), on /jobs and the access log page. */
export function LedgerStatus({ status }: { status: LedgerStatusData }) {
  const v = status.lastVerification
  const cp = status.lastCheckpoint
  return (
    <section className="panel" aria-labelledby="ledger-heading" data-testid="ledger-status">
      <h2 id="ledger-heading">Tamper-evident ledger</h2>
      <p className="hint">
        Every kept record is chained by hash, per practice. Anyone can check the chains with <code>npm run ledger -- integrity verify</code>
        ; a signed checkpoint kept elsewhere proves nothing before it was changed since.
      </p>
      <dl className="facts">
        <dt>Last checked</dt>
        <dd data-testid="ledger-verified">
          {v ? (
            <>
              {formatDateTime(v.finishedAt)}:{' '}
              {v.intact ? (
                <strong className="status--completed">intact</strong>
              ) : (
                <strong className="status--failed">
                  NOT INTACT ({v.problemCount} problem{v.problemCount === 1 ? '' : 's'})
                </strong>
              )}{' '}
              ({v.scope === 'all' ? 'all chains' : v.scope}, {v.entries.toLocaleString('en-GB')} entries,{' '}
              {v.rowsChecked.toLocaleString('en-GB')} rows; by {v.runBy})
            </>
          ) : (
            'Never'
          )}
        </dd>
        <dt>Last signed checkpoint</dt>
        <dd data-testid="ledger-checkpoint">
          {cp ? (
            <>
              {formatDateTime(cp.createdAt)}: checkpoint {cp.id}, {cp.chains} chain{cp.chains === 1 ? '' : 's'}, by {cp.createdBy}
              {cp.developmentKey && <strong> (signed with the published development key: it proves nothing)</strong>}
              {cp.timestamp && 'genTime' in cp.timestamp && (
                <>
                  ; time-stamped {formatDateTime(cp.timestamp.genTime)} by {cp.timestamp.tsa}
                </>
              )}
              {cp.timestamp && 'error' in cp.timestamp && <strong> (not time-stamped: {cp.timestamp.error})</strong>}
            </>
          ) : (
            'None yet'
          )}
        </dd>
      </dl>
      {v && v.problems.length > 0 && (
        <ul aria-label="Ledger problems">
          {v.problems.map((p, i) => (
            <li key={i}>{p}</li>
          ))}
        </ul>
      )}
    </section>
  )
}
