import crypto from 'node:crypto'
import { promisify } from 'node:util'
import type { Db } from '../client.js'

export const ROLES = ['caldicott_guardian', 'practice_manager', 'auditor', 'admin'] as const
export type Role = (typeof ROLES)[number]

export interface UserRow {
  id: number
  email: string
  display_name: string
  password_hash: string
  role: Role
  failed_attempts: number
  locked_until: Date | null
  disabled_at: Date | null
  created_at: Date
}

// scrypt is memory-hard and ships with Node: no native build step on a fresh machine.
// N=2^15, r=8 uses 32 MiB per hash: slow for an attacker, ~100 ms for a sign-in.
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }
const scrypt = promisify(crypto.scrypt) as (pw: string, salt: Buffer, len: number, opts: object) => Promise<Buffer>

export const MIN_PASSWORD_LENGTH = 12

export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.randomBytes(16)
  const key = await scrypt(password, salt, 32, SCRYPT)
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${key.toString('base64')}`
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split('$')
  if (scheme !== 'scrypt' || !salt || !key) return false
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
  if (u.password.length < MIN_PASSWORD_LENGTH) {
    throw new Error(`The password must be at least ${MIN_PASSWORD_LENGTH} characters.`)
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

export const LOCKOUT = { attempts: 5, minutes: 15 }

/** Counts a failed sign-in; the fifth in a row locks the account for 15 minutes. */
export async function recordFailedSignIn(db: Db, userId: number): Promise<void> {
  await db.raw(
    `UPDATE users SET failed_attempts = failed_attempts + 1,
       locked_until = CASE WHEN failed_attempts + 1 >= ? THEN now() + make_interval(mins => ?) ELSE locked_until END
     WHERE id = ?`,
    [LOCKOUT.attempts, LOCKOUT.minutes, userId],
  )
}

export async function recordSuccessfulSignIn(db: Db, userId: number): Promise<void> {
  await db('users').where({ id: userId }).update({ failed_attempts: 0, locked_until: null })
}
