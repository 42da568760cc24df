import crypto from 'node:crypto'
import { redirect, type AppLoadContext } from '@remix-run/node'
import type { Config } from '../../config/env.js'
import type { Db } from '../../db/client.js'
import { writeAccessLog, type AccessLogEntry } from '../../db/queries/access-log.js'
import type { Role } from '../../db/queries/users.js'
import { getDb } from './db.server.js'
import { readSession, type SessionInfo } from './session.server.js'
import { USER_ROLE_LABELS } from '../../core/labels.js'

/**
 * The one gate every loader, action, resource route and export goes through: who is asking,
 * may their role do this, which practices may they see, and (for anything that changes
 * state) is the request really from our own page. Pages never decide this themselves.
 */

export interface PracticeRef {
  id: number
  odsCode: string
  name: string
}

export interface Viewer {
  id: number
  email: string
  displayName: string
  role: Role
  /** Practices this user may see: their own, or every practice for an administrator. */
  practices: PracticeRef[]
  /** The live server-side session: its anti-forgery token and when it expires. */
  session: SessionInfo
}

export interface Access {
  viewer: Viewer
  db: Db
  config: Config
  /**
   * The practices this request reads: the viewer's, narrowed by ?practice=ODS (repeatable).
   * Asking for a practice outside the viewer's scope is a 404, as if it did not exist.
   */
  practiceIds: number[]
  /** Aborted when the server shuts down (for work that outlives the request, such as "run now"). */
  stopSignal?: AbortSignal
  /** Appends to the access log as this viewer. */
  log(action: string, entry?: Omit<AccessLogEntry, 'userId' | 'actor' | 'action'>): Promise<void>
}

export interface AccessRules {
  /** Roles allowed; default: any signed-in user. */
  roles?: readonly Role[]
}

const SAFE_METHODS = new Set(['GET', 'HEAD'])

export async function requireAccess(
  { request, context }: { request: Request; context: AppLoadContext },
  rules: AccessRules = {},
): Promise<Access> {
  const db = getDb(context)
  const viewer = await getViewer(request, context)
  if (!viewer) {
    const url = new URL(request.url)
    throw redirect(`/login?redirectTo=${encodeURIComponent(url.pathname + url.search)}`)
  }
  // An entry concerns the practices the request reads unless the caller names them. An
  // administrator's request reads every practice, so theirs are system-wide unless named.
  const log: Access['log'] = (action, entry = {}) =>
    writeAccessLog(db, {
      userId: viewer.id,
      actor: viewer.email,
      action,
      ip: context.ip ?? null,
      practiceIds:
        entry.practiceIds ??
        (entry.practiceId
          ? [entry.practiceId]
          : viewer.role === 'admin'
            ? []
            : (requestedPracticeIds(viewer, new URL(request.url)) ?? viewer.practices.map((p) => p.id))),
      ...entry,
    })

  if (!SAFE_METHODS.has(request.method.toUpperCase())) {
    if (!(await isSameOriginForm(request, viewer.session.csrf))) {
      await log('csrf_refused', { outcome: 'denied', target: new URL(request.url).pathname })
      throw new Response('This form came from another site or an old page. Reload the page and try again.', { status: 403 })
    }
  }
  if (rules.roles && !rules.roles.includes(viewer.role)) {
    await log('forbidden', { outcome: 'denied', target: new URL(request.url).pathname })
    throw new Response(`Your role (${USER_ROLE_LABELS[viewer.role]}) cannot do this.`, { status: 403 })
  }
  return {
    viewer,
    db,
    config: context.config,
    practiceIds: requestedPracticeIds(viewer, new URL(request.url)) ?? notFoundThrown(),
    stopSignal: context.stopSignal,
    log,
  }
}

/** The signed-in user, or null. Used by the page frame (menu) and the sign-in page. */
export async function getViewer(request: Request, context: AppLoadContext): Promise<Viewer | null> {
  // Within one HTTP request the root and the page loaders ask with the same cookie: once is enough.
  const memo = context.viewerMemo
  if (!memo) return lookUpViewer(request, context)
  const key = request.headers.get('Cookie') ?? ''
  let viewer = memo.get(key)
  if (!viewer) memo.set(key, (viewer = lookUpViewer(request, context)))
  return viewer
}

async function lookUpViewer(request: Request, context: AppLoadContext): Promise<Viewer | null> {
  // A disabled user's session is not live: readSession answers null for it.
  const session = await readSession(context, request)
  if (!session) return null
  const { email, displayName, role, practices } = session.user
  return { id: session.userId, email, displayName, role, practices, session }
}

/** 404 unless the record's practice is one this request may see. */
export function requirePractice(access: Access, practiceId: number | null | undefined): void {
  if (practiceId === null || practiceId === undefined || !access.viewer.practices.some((p) => p.id === practiceId)) {
    throw notFound()
  }
}

export function notFound(): Response {
  return new Response('There is nothing at this address, or you do not have access to it.', { status: 404 })
}

/** The viewer's practices narrowed by ?practice=ODS (repeatable); undefined when one asked for is not theirs. */
function requestedPracticeIds(viewer: Viewer, url: URL): number[] | undefined {
  const asked = url.searchParams
    .getAll('practice')
    .filter(Boolean)
    .map((s) => s.toUpperCase())
  if (asked.length === 0) return viewer.practices.map((p) => p.id)
  const ids = asked.map((ods) => viewer.practices.find((x) => x.odsCode === ods)?.id)
  return ids.every((id) => id !== undefined) ? (ids as number[]) : undefined
}

function notFoundThrown(): never {
  throw notFound()
}

/**
 * The request's form, for every action: a body that does not parse as the form it claims to be
 * (a forged multipart boundary, a wrong content type) is the sender's mistake, a 400, not a 500.
 * Reads a clone, so the CSRF check and the action may each read it.
 */
export async function readForm(request: Request): Promise<FormData> {
  try {
    return await request.clone().formData()
  } catch {
    throw new Response('The form could not be read. Reload the page and try again.', { status: 400 })
  }
}

/**
 * Anti-forgery: the form must carry the session's token (hidden field "csrf"), and a browser's
 * Origin header, when sent, must be our own. SameSite=lax cookies are the first line; this is
 * the second.
 */
async function isSameOriginForm(request: Request, expected: string | undefined): Promise<boolean> {
  const origin = request.headers.get('Origin')
  if (origin && origin !== new URL(request.url).origin) return false
  if (!expected) return false
  let given: FormDataEntryValue | null = null
  const type = request.headers.get('Content-Type') ?? ''
  if (type.includes('form')) {
    // A body that is not the form it claims to be (a forged multipart boundary) is refused, not a 500.
    try {
      given = (await readForm(request)).get('csrf')
    } catch {
      return false
    }
  } else given = request.headers.get('X-CSRF-Token')
  if (typeof given !== 'string' || given.length !== expected.length) return false
  return crypto.timingSafeEqual(Buffer.from(given), Buffer.from(expected))
}
