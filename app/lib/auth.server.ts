import { redirect, type AppLoadContext } from '@remix-run/node'
import { writeAccessLog } from '../../db/queries/access-log.js'
import {
  findUserByEmail,
  hashPassword,
  recordFailedSignIn,
  recordSuccessfulSignIn,
  verifyPassword,
} from '../../db/queries/users.js'
import { getDb } from './db.server.js'
import { endSession, startSession } from './session.server.js'

export type SignInResult = { ok: true; setCookie: string } | { ok: false; message: string }

// Unknown e-mail addresses still cost one hash, so response time does not reveal who has an account.
let decoyHash: Promise<string> | undefined

/** Checks a password with lock-out; every attempt, good or bad, goes to the access log. */
export async function signIn(context: AppLoadContext, email: string, password: string): Promise<SignInResult> {
  const db = getDb(context)
  const user = await findUserByEmail(db, email)
  const log = (outcome: 'ok' | 'failed' | 'denied', reason?: string) =>
    writeAccessLog(db, {
      userId: user?.id ?? null,
      actor: email.trim().slice(0, 200),
      action: 'sign_in',
      outcome,
      ip: context.ip ?? null,
      detail: reason ? { reason } : null,
    })
  const generic = 'The e-mail address or password is not right.'
  if (!user || user.disabled_at) {
    decoyHash ??= hashPassword('decoy password for timing')
    await verifyPassword(password, await decoyHash)
    await log('failed', user ? 'account disabled' : 'unknown account')
    return { ok: false, message: generic }
  }
  if (user.locked_until && user.locked_until > new Date()) {
    await log('denied', 'account locked')
    return { ok: false, message: 'This account is locked after repeated failed sign-ins. Try again in 15 minutes, or ask an administrator.' }
  }
  if (!(await verifyPassword(password, user.password_hash))) {
    await recordFailedSignIn(db, user.id)
    await log('failed', 'wrong password')
    return { ok: false, message: generic }
  }
  await recordSuccessfulSignIn(db, user.id)
  await log('ok')
  return { ok: true, setCookie: await startSession(context, user.id) }
}

export async function signOut(context: AppLoadContext, request: Request) {
  return redirect('/login', { headers: { 'Set-Cookie': await endSession(context, request) } })
}

/** Only same-site paths: an open redirect after sign-in would be a phishing aid. */
export function safeRedirect(to: FormDataEntryValue | string | null, fallback = '/'): string {
  if (typeof to !== 'string' || !to.startsWith('/') || to.startsWith('//') || to.startsWith('/\\')) return fallback
  return to
}
