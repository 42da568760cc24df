import crypto from 'node:crypto'
import { promisify } from 'node:util'
import type { Db } from '../client.js'

export const ROLES = ['caldicott_guardian', 'practice_manager', 'auditor', 'admin'] as const
export type Role = (typeof ROLES)[number]

export interface UserRow {
  id: number
  email: string
  display_name: string
  /** Null for a user who signs in only with NHS Care Identity (decision 038). */
  password_hash: string | null
  role: Role
  failed_attempts: number
  locked_until: Date | null
  disabled_at: Date | null
  created_at: Date
  /** The OpenID Connect provider and subject that sign this user in; null for password-only users. */
  oidc_issuer: string | null
  oidc_subject: string | null
}

// scrypt is memory-hard and ships with Node: no native build step on a fresh machine.
// OWASP's password storage cheat sheet (2025): N=2^17,r=8,p=1 or an equal-cost variant; N=2^15,
// r=8, p=3 costs the same work with 32 MiB instead of 128 MiB per hash, so ten sign-ins at once
// do not need a gigabyte. Hashes made with other parameters are re-made at the next sign-in.
const SCRYPT = { N: 2 ** 15, r: 8, p: 3, maxmem: 64 * 1024 * 1024 }
const scrypt = promisify(crypto.scrypt) as (pw: string, salt: Buffer, len: number, opts: object) => Promise<Buffer>

export const MIN_PASSWORD_LENGTH = 12
/** Long enough for any passphrase; bounded so nobody hashes a megabyte per request. */
export const MAX_PASSWORD_LENGTH = 256

export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.randomBytes(16)
  const key = await scrypt(password, salt, 32, SCRYPT)
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${key.toString('base64')}`
}

/** True when a stored hash was made with other parameters than today's (re-hash it at sign-in). */
export function needsRehash(stored: string): boolean {
  const [scheme, n, r, p] = stored.split('$')
  return scheme !== 'scrypt' || Number(n) !== SCRYPT.N || Number(r) !== SCRYPT.r || Number(p) !== SCRYPT.p
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split('$')
  if (scheme !== 'scrypt' || !salt || !key) return false
  // Only parameters this program could have written: a tampered row must not make us allocate gigabytes.
  if (![2 ** 14, 2 ** 15, 2 ** 16, 2 ** 17].includes(Number(n)) || Number(r) !== 8 || !(Number(p) >= 1 && Number(p) <= 10)) return false
  const expected = Buffer.from(key, 'base64')
  const actual = await scrypt(password, Buffer.from(salt, 'base64'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: SCRYPT.maxmem,
  })
  return crypto.timingSafeEqual(actual, expected)
}

export async function createUser(
  db: Db,
  u: { email: string; displayName?: string; password: string; role: Role; practiceIds: number[] },
): Promise<UserRow> {
  if (u.password.length < MIN_PASSWORD_LENGTH || u.password.length > MAX_PASSWORD_LENGTH) {
    throw new Error(`The password must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters.`)
  }
  const password_hash = await hashPassword(u.password)
  return db.transaction(async (trx) => {
    const [user] = await trx('users')
      .insert({ email: u.email.trim(), display_name: u.displayName ?? u.email.trim(), password_hash, role: u.role })
      .returning('*')
    if (u.practiceIds.length) {
      await trx('user_practices').insert(u.practiceIds.map((practice_id) => ({ user_id: user.id, practice_id })))
    }
    return user as UserRow
  })
}

export async function findUserByEmail(db: Db, email: string): Promise<UserRow | undefined> {
  return db('users').whereRaw('lower(email) = lower(?)', [email.trim()]).first()
}

export async function getUser(db: Db, id: number): Promise<UserRow | undefined> {
  return db('users').where({ id }).first()
}

/** The practices a user may see. */
export async function userPracticeIds(db: Db, userId: number): Promise<number[]> {
  const rows = await db('user_practices').where({ user_id: userId }).orderBy('practice_id').select('practice_id')
  return rows.map((r) => r.practice_id)
}

/** Counts a failed sign-in (shown to administrators); throttling is sign-in-throttle.ts, never a lock. */
export async function recordFailedSignIn(db: Db, userId: number): Promise<void> {
  await db.raw('UPDATE users SET failed_attempts = failed_attempts + 1 WHERE id = ?', [userId])
}

export async function recordSuccessfulSignIn(db: Db, userId: number, newHash?: string): Promise<void> {
  await db('users')
    .where({ id: userId })
    .update({ failed_attempts: 0, locked_until: null, ...(newHash ? { password_hash: newHash } : {}) })
}
