import crypto from 'node:crypto'
import { createCookie, type AppLoadContext, type Cookie } from '@remix-run/node'
import type { Config } from '../../config/env.js'
import { getDb } from './db.server.js'
import type { Role } from '../../db/queries/users.js'
import { planOnce } from '../../db/client.js'

/**
 * Sessions live in the database (table `sessions`); the cookie carries only a random id, signed.
 * So signing out, or an administrator disabling a user, ends a session at once, and expiry is
 * the server's decision: idle expiry (SESSION_IDLE_MINUTES since the last request) and
 * absolute expiry (SESSION_MAX_HOURS since sign-in), whatever the cookie says.
 */

export interface SessionInfo {
  userId: number
  /** Who the session belongs to and the practices they may see, read with the session itself. */
  user: SessionUser
  csrf: string
  /** When the session ends if nothing more is asked of it. */
  idleExpiresAt: Date
  /** When the session ends whatever happens (then the user signs in again). */
  absoluteExpiresAt: Date
}

// Touching the row on every request would be a write per page view; a minute's slack in the idle
// clock costs nothing.
const TOUCH_AFTER_MS = 60_000

export interface SessionUser {
  email: string
  displayName: string
  role: Role
  /** Their own practices, or every practice for an administrator; by ODS code. */
  practices: Array<{ id: number; odsCode: string; name: string }>
}

const cookies = new WeakMap<Config, Cookie>()

function sessionCookie(config: Config): Cookie {
  let c = cookies.get(config)
  if (!c) {
    c = createCookie('__ledger_session', {
      httpOnly: true,
      // lax: the cookie rides on top-level navigation (links), never on cross-site POSTs.
      sameSite: 'lax',
      secure: config.session.secureCookies,
      path: '/',
      secrets: [config.sessionSecret],
      maxAge: config.session.maxHours * 60 * 60,
    })
    cookies.set(config, c)
  }
  return c
}

const hashId = (id: string) => crypto.createHash('sha256').update(id).digest('hex')

/**
 * A fresh session for a signed-in user, with its own anti-forgery token; returns Set-Cookie.
 * A sign-in through NHS Care Identity keeps its ID token, for logout at the provider (decision 038).
 */
export async function startSession(
  context: AppLoadContext,
  userId: number,
  { oidcIdToken }: { oidcIdToken?: string } = {},
): Promise<string> {
  const { idleMinutes, maxHours } = context.config.session
  const id = crypto.randomBytes(32).toString('base64url')
  await getDb(context).raw(
    `INSERT INTO sessions (id_hash, user_id, csrf, idle_expires_at, absolute_expires_at, oidc_id_token)
     VALUES (?, ?, ?, now() + make_interval(mins => ?), now() + make_interval(hours => ?), ?)`,
    [hashId(id), userId, crypto.randomBytes(24).toString('base64url'), idleMinutes, maxHours, oidcIdToken ?? null],
  )
  return sessionCookie(context.config).serialize(id)
}

/**
 * The live session the request's cookie names, or null (none, forged, ended, expired, user
 * disabled). A request keeps the session alive (the idle clock restarts) unless `touch` is
 * false: the page's own "how long is left?" question must not answer "longer".
 */
export async function readSession(
  context: AppLoadContext,
  request: Request,
  { touch = true }: { touch?: boolean } = {},
): Promise<SessionInfo | null> {
  const id = await sessionCookie(context.config).parse(request.headers.get('Cookie'))
  if (typeof id !== 'string' || id.length > 100) return null
  const db = getDb(context)
  // Session, user and practices in one query (decision 044), planned once per connection
  // (decision 045): it runs before every page.
  const { rows } = await planOnce(
    db.raw(
      `SELECT s.user_id, s.csrf, s.last_seen_at, s.idle_expires_at, s.absolute_expires_at,
            u.email, u.display_name, u.role,
            (SELECT coalesce(json_agg(json_build_object('id', p.id, 'odsCode', p.ods_code, 'name', p.name) ORDER BY p.ods_code), '[]'::json)
               FROM practices p
              WHERE u.role = 'admin' OR p.id IN (SELECT up.practice_id FROM user_practices up WHERE up.user_id = u.id)) AS practices
       FROM sessions s JOIN users u ON u.id = s.user_id
      WHERE s.id_hash = ? AND s.ended_at IS NULL AND u.disabled_at IS NULL
        AND s.idle_expires_at > now() AND s.absolute_expires_at > now()`,
      [hashId(id)],
    ),
  )
  const row = rows[0] as
    | {
        user_id: number
        csrf: string
        last_seen_at: Date
        idle_expires_at: Date
        absolute_expires_at: Date
        email: string
        display_name: string
        role: Role
        practices: SessionUser['practices']
      }
    | undefined
  if (!row) return null
  let idleExpiresAt = row.idle_expires_at
  if (touch && Date.now() - row.last_seen_at.getTime() > TOUCH_AFTER_MS) {
    const touched = await db.raw(
      `UPDATE sessions SET last_seen_at = now(),
              idle_expires_at = least(now() + make_interval(mins => ?), absolute_expires_at)
        WHERE id_hash = ? RETURNING idle_expires_at`,
      [context.config.session.idleMinutes, hashId(id)],
    )
    idleExpiresAt = touched.rows[0]?.idle_expires_at ?? idleExpiresAt
  }
  return {
    userId: row.user_id,
    user: { email: row.email, displayName: row.display_name, role: row.role, practices: row.practices },
    csrf: row.csrf,
    idleExpiresAt,
    absoluteExpiresAt: row.absolute_expires_at,
  }
}

/** Ends the request's session (sign-out) and returns the Set-Cookie that clears it. */
export async function endSession(context: AppLoadContext, request: Request): Promise<string> {
  return (await endSessionWithToken(context, request)).setCookie
}

/**
 * Ends the request's session, returning the Set-Cookie that clears it and the ID token the
 * session was started with (a sign-in through NHS Care Identity), which is forgotten here.
 */
export async function endSessionWithToken(
  context: AppLoadContext,
  request: Request,
): Promise<{ setCookie: string; oidcIdToken: string | null }> {
  const id = await sessionCookie(context.config).parse(request.headers.get('Cookie'))
  let oidcIdToken: string | null = null
  if (typeof id === 'string' && id.length <= 100) {
    const { rows } = await getDb(context).raw(
      `UPDATE sessions s SET ended_at = now(), ended_reason = 'signed out', oidc_id_token = NULL
         FROM sessions old WHERE s.id_hash = old.id_hash AND s.id_hash = ? AND s.ended_at IS NULL
       RETURNING old.oidc_id_token`,
      [hashId(id)],
    )
    oidcIdToken = (rows[0]?.oidc_id_token as string | null | undefined) ?? null
  }
  return { setCookie: await sessionCookie(context.config).serialize('', { maxAge: 0 }), oidcIdToken }
}

/**
 * "Stay signed in": restarts the idle clock now, whatever the touch slack, up to the absolute
 * end. Returns the session's new end, or null when it has already ended.
 */
export async function extendSession(context: AppLoadContext, request: Request): Promise<Date | null> {
  const id = await sessionCookie(context.config).parse(request.headers.get('Cookie'))
  if (typeof id !== 'string' || id.length > 100) return null
  const { rows } = await getDb(context).raw(
    `UPDATE sessions SET last_seen_at = now(),
            idle_expires_at = least(now() + make_interval(mins => ?), absolute_expires_at)
      WHERE id_hash = ? AND ended_at IS NULL AND idle_expires_at > now() AND absolute_expires_at > now()
      RETURNING idle_expires_at`,
    [context.config.session.idleMinutes, hashId(id)],
  )
  return (rows[0]?.idle_expires_at as Date | undefined) ?? null
}

/** Whole seconds until the session ends (whichever expiry comes first), never negative. */
export function sessionSecondsLeft(session: Pick<SessionInfo, 'idleExpiresAt' | 'absoluteExpiresAt'>, now = Date.now()): number {
  const end = Math.min(session.idleExpiresAt.getTime(), session.absoluteExpiresAt.getTime())
  return Math.max(0, Math.floor((end - now) / 1000))
}
