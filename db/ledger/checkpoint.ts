import type crypto from 'node:crypto'
import { publicKeyFingerprint, publicKeyPem, sign, verifySignature, type SigningKey } from '../../core/signing.js'
import type { Db } from '../client.js'
import type { ChainHead } from './verify.js'
import type { CheckpointTimestamp } from '../../core/timestamp.js'

// Signed checkpoints (decision 024): the head of every chain, signed with Ed25519, stored in
// ledger_checkpoints and written as a small JSON file to keep elsewhere. Whoever holds the file
// and the public key can later prove the ledger still contains those heads: nothing before them
// was changed, removed or rewritten.

export const CHECKPOINT_FORMAT = 'sharing-ledger-checkpoint/1'

export interface CheckpointHead extends ChainHead {
  /** The practice's ODS code; null for chain 0 (system-wide records). */
  practice: string | null
}

export interface Checkpoint {
  format: typeof CHECKPOINT_FORMAT
  id: number | null
  createdAt: string
  chains: CheckpointHead[]
  keyFingerprint: string
  developmentKey: boolean
  /** Convenience only: a verifier uses the key it was given, and compares fingerprints. */
  publicKey: string
  /** Ed25519 over signedBytes(), base64. */
  signature: string
  /** An RFC 3161 time-stamp over the signature, when a TSA is configured (decision 039). Not signed: it signs itself. */
  timestamp?: CheckpointTimestamp
  /** Why a configured TSA gave no time-stamp (the checkpoint is kept without one). */
  timestampError?: string
}

/** Time-stamps a checkpoint's signature (core/timestamp.ts, with the configured TSA_URL). */
export type Stamp = (signature: Buffer) => Promise<CheckpointTimestamp>

/**
 * Exactly what is signed: the UTF-8 of this JSON, fields in this order, chains by chain number.
 * Rebuilt from the parsed fields, so how a file was re-indented does not matter.
 */
export function signedBytes(c: Pick<Checkpoint, 'format' | 'createdAt' | 'chains' | 'keyFingerprint' | 'developmentKey'>): Buffer {
  const chains = [...c.chains]
    .sort((a, b) => a.chain - b.chain)
    .map((h) => ({ chain: h.chain, practice: h.practice, seq: h.seq, hash: h.hash }))
  return Buffer.from(
    JSON.stringify({
      format: c.format,
      createdAt: c.createdAt,
      chains,
      keyFingerprint: c.keyFingerprint,
      developmentKey: c.developmentKey,
    }),
    'utf8',
  )
}

/**
 * Reads every chain's head (committed writes only), signs them, has the signature time-stamped
 * when `stamp` is given, and stores the checkpoint. A TSA that fails does not lose the checkpoint:
 * it is kept with `timestampError` saying why.
 */
export async function createCheckpoint(db: Db, key: SigningKey, createdBy: string, stamp?: Stamp): Promise<Checkpoint> {
  const { rows } = await db.raw(
    `SELECT h.chain_key, h.seq, encode(h.hash, 'hex') AS hash, p.ods_code
       FROM ledger_heads h LEFT JOIN practices p ON p.id = h.chain_key ORDER BY h.chain_key`,
  )
  const { rows: nowRows } = await db.raw('SELECT now() AS now')
  const body = {
    format: CHECKPOINT_FORMAT as typeof CHECKPOINT_FORMAT,
    createdAt: new Date(nowRows[0].now).toISOString(),
    chains: (rows as Array<{ chain_key: number; seq: number; hash: string; ods_code: string | null }>).map((r) => ({
      chain: Number(r.chain_key),
      practice: Number(r.chain_key) === 0 ? null : r.ods_code,
      seq: Number(r.seq),
      hash: r.hash,
    })),
    keyFingerprint: publicKeyFingerprint(key),
    developmentKey: key.development,
  }
  const signature = sign(key, signedBytes(body))
  const doc: Omit<Checkpoint, 'id'> = { ...body, publicKey: publicKeyPem(key), signature }
  if (stamp) {
    try {
      doc.timestamp = await stamp(Buffer.from(signature, 'base64'))
    } catch (err) {
      doc.timestampError = (err as Error).message
    }
  }
  const [row] = await db('ledger_checkpoints')
    .insert({
      created_by: createdBy,
      document: JSON.stringify(doc),
      key_fingerprint: body.keyFingerprint,
      development_key: key.development,
    })
    .returning('id')
  return { ...doc, id: Number(row.id), format: CHECKPOINT_FORMAT }
}

export class CheckpointError extends Error {}

/** Parses a checkpoint file's text; throws CheckpointError saying what is wrong with it. */
export function parseCheckpoint(text: string): Checkpoint {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    throw new CheckpointError('The checkpoint file is not JSON.')
  }
  const c = raw as Partial<Checkpoint>
  if (c?.format !== CHECKPOINT_FORMAT) throw new CheckpointError(`The file is not a ledger checkpoint (format ${CHECKPOINT_FORMAT}).`)
  const hexOk = (v: unknown, n: number) => typeof v === 'string' && new RegExp(`^[0-9a-f]{${n}}$`).test(v)
  if (
    typeof c.createdAt !== 'string' ||
    !Array.isArray(c.chains) ||
    !hexOk(c.keyFingerprint, 64) ||
    typeof c.developmentKey !== 'boolean' ||
    typeof c.signature !== 'string' ||
    !c.chains.every(
      (h) =>
        Number.isInteger(h?.chain) &&
        Number.isInteger(h?.seq) &&
        hexOk(h?.hash, 64) &&
        (h.practice === null || typeof h.practice === 'string'),
    )
  ) {
    throw new CheckpointError('The checkpoint file is incomplete or malformed.')
  }
  const t = c.timestamp
  if (t !== undefined && (typeof t?.tsa !== 'string' || typeof t.genTime !== 'string' || typeof t.token !== 'string'))
    throw new CheckpointError('The checkpoint file has a malformed time-stamp.')
  return c as Checkpoint
}

/** True when the checkpoint was signed by this public key and not altered since. */
export function checkpointSignatureValid(c: Checkpoint, publicKey: crypto.KeyObject): boolean {
  if (c.keyFingerprint !== publicKeyFingerprint(publicKey)) return false
  return verifySignature(publicKey, signedBytes(c), c.signature)
}

/** The newest stored checkpoint, as its document. */
export async function latestCheckpoint(db: Db): Promise<(Checkpoint & { storedAt: Date; createdBy: string }) | null> {
  const row = await db('ledger_checkpoints').orderBy('id', 'desc').first('id', 'document', 'created_at', 'created_by')
  if (!row) return null
  const doc = typeof row.document === 'string' ? JSON.parse(row.document) : row.document
  return { ...doc, id: Number(row.id), storedAt: row.created_at, createdBy: row.created_by }
}
