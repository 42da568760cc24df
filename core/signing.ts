import crypto from 'node:crypto'

/**
 * One Ed25519 key signs what must be provable offline: report manifests and the ledger's
 * checkpoints. The private key comes from SIGNING_KEY (32-byte seed, hex or base64); the
 * embedded demo falls back to a published development key, and says so loudly wherever the
 * public key is printed. With DATABASE_URL set the development key is refused (config/env.ts).
 */

/** Anyone can derive this: it proves nothing and is for the embedded demo only. */
export const DEVELOPMENT_SIGNING_SEED = crypto
  .createHash('sha256')
  .update('sharing-ledger-DEVELOPMENT-ONLY-signing-key-do-not-use-with-real-data')
  .digest()

// PKCS#8 DER header for an Ed25519 private key followed by the 32-byte seed (RFC 8410).
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')

export interface SigningKey {
  privateKey: crypto.KeyObject
  publicKey: crypto.KeyObject
  /** True for the published development key: output signed with it must say so. */
  development: boolean
}

/** Parses a 32-byte seed written as 64 hex digits or as base64; null when it is neither. */
export function parseSigningSeed(text: string): Buffer | null {
  const t = text.trim()
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex')
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) {
    const b = Buffer.from(t, 'base64')
    return b.length === 32 ? b : null
  }
  return null
}

export function signingKeyFromSeed(seed: Buffer, development = false): SigningKey {
  if (seed.length !== 32) throw new Error('An Ed25519 seed is 32 bytes')
  const privateKey = crypto.createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  })
  return { privateKey, publicKey: crypto.createPublicKey(privateKey), development }
}

export function sign(key: SigningKey, data: Buffer | string): string {
  return crypto.sign(null, Buffer.from(data), key.privateKey).toString('base64')
}

/** The public key as SPKI PEM: what `ledger keys public` prints and a verifier is given. */
export function publicKeyPem(key: SigningKey | crypto.KeyObject): string {
  const k = 'publicKey' in key ? key.publicKey : key
  return k.export({ type: 'spki', format: 'pem' }).toString()
}

/** Reads a public key given as SPKI PEM; null when the text is not an Ed25519 public key. */
export function parsePublicKey(pem: string): crypto.KeyObject | null {
  try {
    const k = crypto.createPublicKey(pem)
    return k.asymmetricKeyType === 'ed25519' ? k : null
  } catch {
    return null
  }
}

export function verifySignature(publicKey: crypto.KeyObject, data: Buffer | string, signatureBase64: string): boolean {
  try {
    return crypto.verify(null, Buffer.from(data), publicKey, Buffer.from(signatureBase64, 'base64'))
  } catch {
    return false
  }
}

/** SHA-256 of the SPKI bytes, hex: a short fingerprint to print beside a signature. */
export function publicKeyFingerprint(key: SigningKey | crypto.KeyObject): string {
  const k = 'publicKey' in key ? key.publicKey : key
  return crypto
    .createHash('sha256')
    .update(k.export({ type: 'spki', format: 'der' }))
    .digest('hex')
}
