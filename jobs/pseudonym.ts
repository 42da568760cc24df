import crypto from 'node:crypto'

/**
 * Keyed pseudonyms. The NHS number is replaced on arrival by HMAC-SHA-256 under a secret key,
 * so the same patient links across sources and practices, but nobody without the key can go
 * back from a pseudonym to the number (a plain hash of a 10-digit number is reversible by
 * brute force in seconds; a keyed one is not).
 */

const ALPHABET = 'ABCDEFGHJKMNPQRSTVWXYZ0123456789' // Crockford-like: no I, L, O, U

function encode(digest: Buffer, chars: number): string {
  let bits = 0
  let value = 0
  let out = ''
  for (const byte of digest) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5 && out.length < chars) {
      out += ALPHABET[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
    if (out.length >= chars) break
  }
  return out
}

function format(digest: Buffer): string {
  const code = encode(digest, 12) // 60 bits: collisions are negligible at national scale
  return `P-${code.slice(0, 4)}-${code.slice(4, 8)}-${code.slice(8, 12)}`
}

/**
 * The key as a KeyObject, imported once rather than on every HMAC, and the pseudonyms already
 * worked out under it: the same patients recur across a practice's records, and a collector
 * pseudonymises hundreds of thousands of them a run. Bounded, so a long-lived process does not grow.
 */
const MEMO_LIMIT = 200_000
const keyState = new Map<string, { key: crypto.KeyObject; nhs: Map<string, string> }>()
function stateFor(key: string) {
  let state = keyState.get(key)
  if (!state) {
    if (keyState.size >= 4) keyState.clear() // one key in normal use; tests try a few
    state = { key: crypto.createSecretKey(Buffer.from(key, 'utf8')), nhs: new Map() }
    keyState.set(key, state)
  }
  return state
}

/** The pseudonym for an NHS number (digits only; spaces are ignored). */
export function pseudonymiseNhsNumber(key: string, nhsNumber: string): string {
  const digits = nhsNumber.replace(/\s+/g, '')
  const state = stateFor(key)
  let pseudonym = state.nhs.get(digits)
  if (pseudonym === undefined) {
    pseudonym = format(crypto.createHmac('sha256', state.key).update(`nhs:${digits}`).digest())
    if (state.nhs.size >= MEMO_LIMIT) state.nhs.clear()
    state.nhs.set(digits, pseudonym)
  }
  return pseudonym
}

/**
 * The pseudonym for a patient known only by a source-local reference (Patient/123): scoped to
 * the source, because "Patient/123" means different people in different practice systems.
 */
export function pseudonymiseLocalReference(key: string, sourceId: number, reference: string): string {
  return format(crypto.createHmac('sha256', stateFor(key).key).update(`ref:${sourceId}:${reference}`).digest())
}

// One check-digit rule for the whole code base, beside the identifier detector.
export { isValidNhsNumber } from '../core/identifiers.js'

export const PSEUDONYM_PATTERN = /^P-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$/
