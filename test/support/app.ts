import type { AppLoadContext } from '@remix-run/node'
import { readSession, startSession } from '../../app/lib/session.server.js'
import type { Db } from '../../db/client.js'
import { ensurePractice } from '../../db/queries/practices.js'
import { createUser, type Role } from '../../db/queries/users.js'
import { testConfig } from './config.js'
import type { TestDatabase } from './db.js'

export const TEST_PASSWORD = 'correct horse battery staple'
export const ORIGIN = 'http://ledger.test'

/** The load context server.ts would hand a route, over this test file's database. */
export function loadContext(t: TestDatabase): AppLoadContext {
  return { db: t.db, config: testConfig(t.url), ip: '127.0.0.1' }
}

export interface TestUser {
  id: number
  email: string
  role: Role
  /** Cookie header value of a signed-in session. */
  cookie: string
  /** The session's anti-forgery token, for forms. */
  csrf: string
}

/** Creates a user with access to the given practices and signs them in. */
export async function signedInUser(
  context: AppLoadContext,
  role: Role,
  practiceOds: string[],
  email = `${role}.${practiceOds.join('-') || 'all'}.${Math.random().toString(36).slice(2, 8)}@example.nhs.uk`,
): Promise<TestUser> {
  const practiceIds = []
  for (const ods of practiceOds) practiceIds.push((await ensurePractice(context.db as Db, { odsCode: ods })).id)
  const user = await createUser(context.db, { email, password: TEST_PASSWORD, role, practiceIds, displayName: `Test ${role}` })
  const setCookie = await startSession(context, user.id)
  const cookie = setCookie.split(';')[0]!
  const session = await readSession(context, new Request(ORIGIN, { headers: { Cookie: cookie } }))
  return { id: user.id, email, role, cookie, csrf: session!.csrf }
}

/** A GET as this user (or anonymous). */
export function get(path: string, user?: TestUser): Request {
  return new Request(`${ORIGIN}${path}`, { headers: user ? { Cookie: user.cookie } : {} })
}

/** A same-origin form POST as this user, carrying their anti-forgery token unless told otherwise. */
export function post(
  path: string,
  user: TestUser | undefined,
  fields: Record<string, string | string[]>,
  opts: { csrf?: string | null; origin?: string } = {},
): Request {
  const body = new URLSearchParams()
  for (const [k, v] of Object.entries(fields)) for (const one of [v].flat()) body.append(k, one)
  const csrf = opts.csrf === undefined ? user?.csrf : opts.csrf
  if (csrf) body.set('csrf', csrf)
  const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded', Origin: opts.origin ?? ORIGIN }
  if (user) headers.Cookie = user.cookie
  return new Request(`${ORIGIN}${path}`, { method: 'POST', headers, body })
}

/** Runs a loader or action and returns the Response it returned or threw. */
export async function respond(fn: () => Promise<unknown>): Promise<Response> {
  try {
    const result = await fn()
    if (result instanceof Response) return result
    return new Response(JSON.stringify(result), { status: 200, headers: { 'Content-Type': 'application/json' } })
  } catch (thrown) {
    if (thrown instanceof Response) return thrown
    throw thrown
  }
}
