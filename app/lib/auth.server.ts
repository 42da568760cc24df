import { redirect, type AppLoadContext } from '@remix-run/node'
import { writeAccessLog } from '../../db/queries/access-log.js'
import { clearFailures, recordFailure, secondsUntilAllowed, type ThrottleKey } from '../../db/queries/sign-in-throttle.js'
import {
  findUserByEmail,
  hashPassword,
  MAX_PASSWORD_LENGTH,
  needsRehash,
  recordFailedSignIn,
  recordSuccessfulSignIn,
  userPracticeIds,
  verifyPassword,
} from '../../db/queries/users.js'
import { getDb } from './db.server.js'
import { endSessionWithToken, startSession } from './session.server.js'

export type SignInResult = { ok: true; setCookie: string } | { ok: false; message: string; status: 401 | 403 | 429 }

/** PASSWORD_SIGN_IN=off (decision 038): the form is not offered, and a password posted anyway is refused with this. */
export const PASSWORD_SIGN_IN_OFF = 'Signing in with a password is turned off here. Sign in with NHS Care Identity.'

/**
 * One message for every failure (unknown account, wrong password, disabled, throttled), so
 * the page never tells a stranger which accounts exist.
 */
export const SIGN_IN_FAILED =
  'The e-mail address or password is not right, or there have been too many attempts. Check them and try again in a minute.'

// Unknown e-mail addresses still cost one hash, so response time does not reveal who has an account.
let decoyHash: Promise<string> | undefined

/** Checks a password, throttled per address and per account; every attempt goes to the access log. */
export async function signIn(context: AppLoadContext, email: string, password: string): Promise<SignInResult> {
  const db = getDb(context)
  if (!context.config.passwordSignIn) {
    // Refused before any account is looked up or any password hashed: nothing to learn, nothing to throttle.
    await writeAccessLog(db, {
      userId: null,
      actor: email.trim().slice(0, 200),
      action: 'sign_in',
      outcome: 'denied',
      ip: context.ip ?? null,
      detail: { method: 'password', reason: 'password sign-in is turned off (PASSWORD_SIGN_IN=off)' },
    })
    return { ok: false, message: PASSWORD_SIGN_IN_OFF, status: 403 }
  }
  const keys: ThrottleKey[] = [{ kind: 'account', value: email }]
  if (context.ip) keys.push({ kind: 'ip', value: context.ip })
  const user = await findUserByEmail(db, email)
  const practiceIds = user && user.role !== 'admin' ? await userPracticeIds(db, user.id) : []
  const log = (outcome: 'ok' | 'failed' | 'denied', reason?: string) =>
    writeAccessLog(db, {
      userId: user?.id ?? null,
      actor: email.trim().slice(0, 200),
      action: 'sign_in',
      outcome,
      practiceIds,
      ip: context.ip ?? null,
      detail: reason ? { reason } : null,
    })
  const wait = await secondsUntilAllowed(db, keys)
  if (wait > 0) {
    await log('denied', `throttled for ${wait} s`)
    return { ok: false, message: SIGN_IN_FAILED, status: 429 }
  }
  const fail = async (reason: string) => {
    await recordFailure(db, keys)
    if (user) await recordFailedSignIn(db, user.id)
    await log('failed', reason)
    return { ok: false as const, message: SIGN_IN_FAILED, status: 401 as const }
  }
  if (password.length > MAX_PASSWORD_LENGTH) return fail('password longer than allowed')
  if (!user || user.disabled_at || !user.password_hash) {
    decoyHash ??= hashPassword('decoy password for timing')
    await verifyPassword(password, await decoyHash)
    return fail(!user ? 'unknown account' : user.disabled_at ? 'account disabled' : 'no password: signs in with NHS Care Identity')
  }
  if (!(await verifyPassword(password, user.password_hash))) return fail('wrong password')
  await recordSuccessfulSignIn(db, user.id, needsRehash(user.password_hash) ? await hashPassword(password) : undefined)
  await clearFailures(db, keys)
  await log('ok')
  return { ok: true, setCookie: await startSession(context, user.id) }
}

/**
 * Ends the local session; when it came from NHS Care Identity and the provider offers an
 * end-session endpoint, the browser goes there next (RP-initiated logout) and comes back to
 * the sign-in page (decision 038). `providerLogoutUrl` is passed in (app/lib/oidc.server.ts).
 */
export async function signOut(
  context: AppLoadContext,
  request: Request,
  providerLogoutUrl: (idToken: string | null) => Promise<string | null> = async () => null,
) {
  const { setCookie, oidcIdToken } = await endSessionWithToken(context, request)
  const provider = await providerLogoutUrl(oidcIdToken)
  return redirect(provider ?? '/login', { headers: { 'Set-Cookie': setCookie } })
}

/**
 * Only paths on this site: an open redirect after sign-in would be a phishing aid. The target
 * is resolved the way a browser would (which drops tabs and newlines and reads "\" as "/"),
 * and kept only if it stays on our origin; what is returned is the resolved path, not the input.
 */
export function safeRedirect(to: FormDataEntryValue | string | null, fallback = '/'): string {
  if (typeof to !== 'string' || to.length > 2000 || !to.startsWith('/')) return fallback
  // Control characters and backslashes have no place in our own links; browsers reinterpret them.
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  if (/[\u0000-\u001f\u007f\\]/.test(to)) return fallback
  const base = 'http://ledger.invalid'
  let url: URL
  try {
    url = new URL(to, base)
  } catch {
    return fallback
  }
  if (url.origin !== base) return fallback
  const path = url.pathname + url.search + url.hash
  // "/%2F/evil" stays on our origin, but a decoding proxy could make it "//evil": refuse it too.
  if (/^\/(\/|%2f|%5c)/i.test(path)) return fallback
  return path
}
