import crypto from 'node:crypto'
import { createCookieSessionStorage, type AppLoadContext, type Session } from '@remix-run/node'
import type { Config } from '../../config/env.js'

export interface SessionData {
  userId: number
  csrf: string
}

const storages = new WeakMap<Config, ReturnType<typeof makeStorage>>()

function makeStorage(config: Config) {
  return createCookieSessionStorage<SessionData>({
    cookie: {
      name: '__ledger_session',
      httpOnly: true,
      // lax: the cookie rides on top-level navigation (links), never on cross-site POSTs.
      sameSite: 'lax',
      secure: config.nodeEnv === 'production',
      path: '/',
      secrets: [config.sessionSecret],
      maxAge: 8 * 60 * 60, // a working day
    },
  })
}

function storage(context: AppLoadContext) {
  let s = storages.get(context.config)
  if (!s) {
    s = makeStorage(context.config)
    storages.set(context.config, s)
  }
  return s
}

export function getSession(context: AppLoadContext, request: Request): Promise<Session<SessionData>> {
  return storage(context).getSession(request.headers.get('Cookie'))
}

/** A fresh session for a signed-in user, with its own anti-forgery token. */
export async function startSession(context: AppLoadContext, userId: number): Promise<string> {
  const session = await storage(context).getSession()
  session.set('userId', userId)
  session.set('csrf', crypto.randomBytes(24).toString('base64url'))
  return storage(context).commitSession(session)
}

export async function endSession(context: AppLoadContext, request: Request): Promise<string> {
  return storage(context).destroySession(await getSession(context, request))
}
