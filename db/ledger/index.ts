import type crypto from 'node:crypto'
import type { SigningKey } from '../../core/signing.js'
import type { Db } from '../client.js'
import { checkpointSignatureValid, createCheckpoint, latestCheckpoint, type Checkpoint, type Stamp } from './checkpoint.js'
import { verifyTimestamp } from '../../core/timestamp.js'
import { verifyLedger, type VerifyProgress, type VerifyResult } from './verify.js'

// One implementation of "check the ledger" and "sign a checkpoint", called by the CLI, the
// scheduler and the web (decision 024).

export { createCheckpoint, parseCheckpoint, CheckpointError, type Checkpoint, type Stamp } from './checkpoint.js'
export type { LedgerProblem, VerifyResult } from './verify.js'

export interface IntegrityRun extends VerifyResult {
  /** The checkpoint checked against, when there was one, and what its time-stamp proves. */
  checkpoint: { id: number | null; createdAt: string; signatureValid: boolean; timestamp: string | null } | null
}

export class CheckpointRefused extends Error {}

/**
 * Verifies the chains (all, or one practice's) and the rows, against a checkpoint when given
 * one: a checkpoint whose signature does not verify with the public key is refused outright
 * (CheckpointRefused) rather than half-used. The outcome is recorded for the status shown on
 * /jobs and the audit log page unless record is false.
 */
export async function verifyIntegrity(
  db: Db,
  opts: {
    chain?: number
    checkpoint?: Checkpoint
    publicKey?: crypto.KeyObject
    /** The TSA's certificate or CA (PEM) to check a checkpoint's time-stamp signature with. */
    tsaCertPem?: string
    runBy: string
    record?: boolean
    onProgress?: (p: VerifyProgress) => void
    pageSize?: number
  },
): Promise<IntegrityRun> {
  const startedAt = new Date()
  let checkpoint: IntegrityRun['checkpoint'] = null
  if (opts.checkpoint) {
    if (!opts.publicKey || !checkpointSignatureValid(opts.checkpoint, opts.publicKey)) {
      throw new CheckpointRefused(
        opts.checkpoint.keyFingerprint && opts.publicKey
          ? 'The checkpoint is refused: its signature does not verify with the public key (it was altered, or signed by another key).'
          : 'The checkpoint is refused: there is no public key to check its signature with.',
      )
    }
    let timestamp: string | null = null
    if (opts.checkpoint.timestamp) {
      // A time-stamp that does not hold means the file was altered: refused like a bad signature.
      const verdict = await verifyTimestamp(opts.checkpoint.timestamp, Buffer.from(opts.checkpoint.signature, 'base64'), opts.tsaCertPem)
      if (!verdict.ok) throw new CheckpointRefused(`The checkpoint is refused: its ${verdict.message}.`)
      timestamp = verdict.message
    } else if (opts.tsaCertPem) {
      throw new CheckpointRefused('The checkpoint is refused: it carries no time-stamp to check with the TSA certificate.')
    }
    checkpoint = { id: opts.checkpoint.id ?? null, createdAt: opts.checkpoint.createdAt, signatureValid: true, timestamp }
  }
  const result = await verifyLedger(db, {
    chain: opts.chain,
    checkpointHeads: opts.checkpoint?.chains,
    onProgress: opts.onProgress,
    pageSize: opts.pageSize,
  })
  if (opts.record !== false) {
    await db('ledger_verifications').insert({
      started_at: startedAt,
      run_by: opts.runBy,
      scope: opts.chain === undefined ? 'all' : `chain ${opts.chain}`,
      intact: result.intact,
      entries: result.entries,
      rows_checked: result.rowsChecked,
      problems: JSON.stringify(result.problems.slice(0, 50)),
      // Only a stored checkpoint is referenced; a file's id may be another database's.
      checkpoint_id: null,
    })
  }
  return { ...result, checkpoint }
}

/** The scheduled job: verify everything against the newest stored checkpoint, then sign a new one. */
export async function scheduledIntegrityCheck(
  db: Db,
  key: SigningKey,
  log: (line: string) => void = () => {},
  stamp?: Stamp,
): Promise<{ intact: boolean; checkpointId: number }> {
  const previous = await latestCheckpoint(db)
  const usable = previous && checkpointSignatureValid(previous, key.publicKey) ? previous : undefined
  if (previous && !usable) log('ledger: the newest stored checkpoint does not verify with the signing key: verifying without it')
  const run = await verifyIntegrity(db, { checkpoint: usable, publicKey: key.publicKey, runBy: 'scheduler' })
  if (!run.intact)
    log(`ledger: integrity check FAILED: ${run.problems.length + run.moreProblems} problem(s); first: ${run.problems[0]?.message}`)
  const cp = await createCheckpoint(db, key, 'scheduler', stamp)
  if (cp.timestampError) log(`ledger: checkpoint ${cp.id} kept WITHOUT a time-stamp: ${cp.timestampError}`)
  return { intact: run.intact, checkpointId: cp.id! }
}

export interface LedgerStatus {
  lastCheckpoint: {
    id: number
    createdAt: string
    chains: number
    developmentKey: boolean
    createdBy: string
    /** The TSA's time and URL, or why a configured TSA gave none; null when none was asked. */
    timestamp: { tsa: string; genTime: string } | { error: string } | null
  } | null
  lastVerification: {
    finishedAt: Date
    intact: boolean
    runBy: string
    scope: string
    entries: number
    rowsChecked: number
    problems: Array<{ kind: string; message: string }>
  } | null
}

/** What /jobs and the audit log page show about the ledger. */
export async function ledgerStatus(db: Db): Promise<LedgerStatus> {
  const [cp, v] = await Promise.all([
    latestCheckpoint(db),
    db('ledger_verifications')
      .orderBy('id', 'desc')
      .first('finished_at', 'intact', 'run_by', 'scope', 'entries', 'rows_checked', 'problems'),
  ])
  return {
    lastCheckpoint: cp
      ? {
          id: cp.id!,
          createdAt: cp.createdAt,
          chains: cp.chains.length,
          developmentKey: cp.developmentKey,
          createdBy: cp.createdBy,
          timestamp: cp.timestamp
            ? { tsa: cp.timestamp.tsa, genTime: cp.timestamp.genTime }
            : cp.timestampError
              ? { error: cp.timestampError }
              : null,
        }
      : null,
    lastVerification: v
      ? {
          finishedAt: v.finished_at,
          intact: v.intact,
          runBy: v.run_by,
          scope: v.scope,
          entries: Number(v.entries),
          rowsChecked: Number(v.rows_checked),
          problems: (typeof v.problems === 'string' ? JSON.parse(v.problems) : v.problems).map((p: { kind: string; message: string }) => ({
            kind: p.kind,
            message: p.message,
          })),
        }
      : null,
  }
}

/**
 * The status as a page shows it. Problem descriptions name tables and rows of every practice:
 * only administrators see them; others see the outcome and the count.
 */
export async function ledgerStatusForPage(db: Db, isAdmin: boolean) {
  const s = await ledgerStatus(db)
  return {
    lastCheckpoint: s.lastCheckpoint,
    lastVerification: s.lastVerification
      ? {
          finishedAt: s.lastVerification.finishedAt.toISOString(),
          intact: s.lastVerification.intact,
          runBy: s.lastVerification.runBy,
          scope: s.lastVerification.scope,
          entries: s.lastVerification.entries,
          rowsChecked: s.lastVerification.rowsChecked,
          problemCount: s.lastVerification.problems.length,
          problems: isAdmin ? s.lastVerification.problems.map((p) => p.message) : [],
        }
      : null,
  }
}
