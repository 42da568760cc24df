import crypto from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import {
  createRequestHandler as createRemixHandler,
  writeReadableStreamToWritable,
  type AppLoadContext,
  type ServerBuild,
} from '@remix-run/node'
import type express from 'express'
import { getViewer } from '../app/lib/access.server.js'
import type { RequestGate } from './request-gate.js'

/**
 * The one door every page, form, export and report request comes through. Before Remix sees a
 * request with a body, this checks who is asking and how much they send, without reading a byte
 * of a stranger's body: only the sign-in form takes a body before sign-in (and a small one);
 * a signed-in user's body is capped, larger only where a report is uploaded to be checked.
 * (Remix's own Express adapter hands Remix the raw stream, which an action then reads whole.)
 */

export const BODY_LIMITS = {
  /** The sign-in form: an e-mail address and a password (capped at 256 characters). */
  signIn: 16 * 1024,
  /** Any other form of a signed-in user. */
  form: 1024 * 1024,
  /** "Check a report": a report PDF uploaded to be verified. */
  reportUpload: 25 * 1024 * 1024,
} as const

const SIGN_IN_PATH = '/login'
const HEALTH_PATH = '/healthz'
const REPORT_UPLOAD_PATH = '/reports'
const BODYLESS = new Set(['GET', 'HEAD'])

type LoadContextFor = (req: express.Request, res: express.Response) => AppLoadContext

export function createRequestHandler(
  build: ServerBuild,
  mode: string,
  loadContextFor: LoadContextFor,
  gate: RequestGate,
): express.RequestHandler {
  const handle = createRemixHandler(build, mode)
  return async (req, res, next) => {
    try {
      const url = requestUrl(req)
      if (!url) return plain(res, 400, 'The request has no valid Host header.')
      const context = loadContextFor(req, res)
      let body: BodyInit | undefined
      if (!BODYLESS.has(req.method)) {
        const limit = await bodyLimit(req, url, context)
        if (limit === null) return sendToSignIn(req, res, url)
        const read = await readBody(req, limit)
        if (!read.ok) return refuseBody(req, res, limit)
        body = read.body as Uint8Array<ArrayBuffer>
      }
      // Aborted when the client goes away, so a long report or export can stop early.
      const controller = new AbortController()
      res.on('close', () => controller.abort())
      // Pages are taken in turn, a few at a time (server/request-gate.ts); the health check is
      // not: a busy server is alive, and a probe that queued behind pages would say it was not.
      const leave = url.pathname === HEALTH_PATH ? () => {} : await gate.enter(controller.signal)
      if (!leave) {
        if (!controller.signal.aborted) busy(req, res)
        return
      }
      context.leaveTurn = leave
      let response: Response
      try {
        const request = new Request(url, { method: req.method, headers: requestHeaders(req), body, signal: controller.signal })
        response = await handle(request, context)
      } finally {
        leave()
      }
      await sendResponse(res, response)
    } catch (err) {
      next(err)
    }
  }
}

/** The body limit for this request, or null when it may not send a body at all (not signed in). */
async function bodyLimit(req: express.Request, url: URL, context: AppLoadContext): Promise<number | null> {
  if (url.pathname === SIGN_IN_PATH) return BODY_LIMITS.signIn
  // The same lookup the action's requireAccess makes, memoised per request: read once, not twice.
  const viewer = await getViewer(new Request(url, { headers: { Cookie: req.headers.cookie ?? '' } }), context)
  if (!viewer) return null
  return url.pathname === REPORT_UPLOAD_PATH ? BODY_LIMITS.reportUpload : BODY_LIMITS.form
}

/** Reads at most `limit` bytes; a declared or actual larger body is refused before it is held. */
function readBody(req: IncomingMessage, limit: number): Promise<{ ok: true; body: Buffer } | { ok: false }> {
  const declared = Number(req.headers['content-length'] ?? 0)
  if (!Number.isFinite(declared) || declared > limit) return Promise.resolve({ ok: false })
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        cleanup()
        resolve({ ok: false })
        return
      }
      chunks.push(chunk)
    }
    const onEnd = () => {
      cleanup()
      resolve({ ok: true, body: Buffer.concat(chunks) })
    }
    const onError = (err: Error) => {
      cleanup()
      reject(err)
    }
    const cleanup = () => {
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onError)
    }
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', onError)
  })
}

/**
 * Answers before the rest of an unread body arrives. What is still coming is read and thrown
 * away as it comes (never held): closing the connection with unread data in it would reset it,
 * and the client might never see the answer. Node's request timeout bounds a slow sender.
 */
function discardRest(req: IncomingMessage, res: express.Response) {
  res.once('finish', () => req.resume())
}

function refuseBody(req: express.Request, res: express.Response, limit: number) {
  discardRest(req, res)
  plain(res, 413, `The request is too large: at most ${Math.round(limit / 1024)} KB may be sent here.`)
}

/** Not signed in (or the session ended): to the sign-in page, as Remix itself would redirect. */
function sendToSignIn(req: express.Request, res: express.Response, url: URL) {
  discardRest(req, res)
  url.searchParams.delete('_data')
  const location = `${SIGN_IN_PATH}?redirectTo=${encodeURIComponent(url.pathname + url.search)}`
  res.setHeader('Cache-Control', 'no-store')
  // A Remix data request (a <Form> submitted by script) follows redirects by these headers.
  if (req.query._data !== undefined) {
    res.status(204).setHeader('X-Remix-Redirect', location).setHeader('X-Remix-Status', '303').end()
    return
  }
  res.redirect(303, location)
}

const RETRY_AFTER_SECONDS = 5

/**
 * Waited too long for a turn: nothing was done, and the client may try again shortly. A browser
 * gets a page that says so and, for a page it was opening, opens it again by itself; a form it
 * sent is not sent again unasked.
 */
function busy(req: express.Request, res: express.Response) {
  res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS))
  // A page's data fetched by script (a link followed or a form sent in the app): marked as the
  // app's own answer, so the page shows it in place rather than as a failed connection.
  if (req.query._data !== undefined) res.setHeader('X-Remix-Catch', 'yes')
  if (req.accepts(['text/plain', 'text/html']) !== 'text/html') {
    plain(res, 503, 'The service is busy. Nothing was changed: try again in a moment.')
    return
  }
  const reopen = req.method === 'GET' || req.method === 'HEAD'
  res
    .status(503)
    .setHeader('Cache-Control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(
      `<!doctype html><html lang="en-GB"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
        (reopen ? `<meta http-equiv="refresh" content="${RETRY_AFTER_SECONDS}">` : '') +
        `<link rel="icon" href="/favicon.svg" type="image/svg+xml"><title>Busy: Sharing Ledger</title><style>body{font-family:Arial,sans-serif;color:#212b32;margin:2rem auto;max-width:40rem;padding:0 1rem;line-height:1.5}</style></head>` +
        `<body><main><h1>The service is busy</h1><p>Nothing was changed. ` +
        (reopen ? `This page will open by itself in ${RETRY_AFTER_SECONDS} seconds.` : `Go back and send the form again in a moment.`) +
        `</p></main></body></html>`,
    )
}

function plain(res: express.Response, status: number, message: string) {
  res.status(status).setHeader('Cache-Control', 'no-store').type('text/plain; charset=utf-8').send(message)
}

// The Host header names this server as the browser reached it; proxies' X-Forwarded-* headers
// are not trusted (the Origin check in app/lib/access.server.ts compares against this URL).
function requestUrl(req: express.Request): URL | null {
  const host = req.headers.host
  if (!host || !/^[A-Za-z0-9.\-:[\]]{1,300}$/.test(host)) return null
  try {
    return new URL(req.originalUrl, `${req.protocol}://${host}`)
  } catch {
    return null
  }
}

function requestHeaders(req: IncomingMessage): Headers {
  const headers = new Headers()
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    try {
      headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!)
    } catch {
      // A header the Fetch API cannot hold is not one any page reads.
    }
  }
  return headers
}

async function sendResponse(res: express.Response, response: Response) {
  res.statusMessage = response.statusText
  res.status(response.status)
  for (const [name, value] of response.headers.entries()) {
    if (name !== 'set-cookie') res.append(name, value)
  }
  for (const cookie of response.headers.getSetCookie()) res.append('Set-Cookie', cookie)
  // Pages and exports carry patient-level rows (pseudonyms): no browser or proxy keeps a copy.
  if (!response.headers.has('Cache-Control')) res.setHeader('Cache-Control', 'no-store')
  res.flushHeaders()
  if (response.body) await writeReadableStreamToWritable(response.body, res)
  else res.end()
}

/** A fresh CSP nonce for one response: the only inline scripts that run are Remix's own, carrying it. */
export function newNonce(): string {
  return crypto.randomBytes(16).toString('base64')
}
