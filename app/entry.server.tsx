import { PassThrough } from 'node:stream'
import type { AppLoadContext, EntryContext, HandleErrorFunction } from '@remix-run/node'
import { createReadableStreamFromReadable } from '@remix-run/node'
import { isRouteErrorResponse, RemixServer } from '@remix-run/react'
import { isbot } from 'isbot'
import { renderToPipeableStream, renderToString } from 'react-dom/server'
import { NonceContext } from './lib/nonce.js'

const ABORT_DELAY_MS = 5_000

/**
 * Pages are rendered whole, by renderToString, and sent as one body with a Content-Length.
 * Streaming only helps a page with deferred data (parts that arrive later), and no page has any
 * today: without them React writes the whole document at once anyway, and its streaming
 * renderer's machinery cost a tenth of a web process's time under load for the same bytes
 * (decision 045). A page that does defer data is streamed to browsers (crawlers still get it
 * whole, once everything has arrived).
 */
export default function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  remixContext: EntryContext,
  loadContext: AppLoadContext,
) {
  const nonce = loadContext.cspNonce
  const deferred = Object.keys(remixContext.staticHandlerContext.activeDeferreds ?? {}).length > 0
  const page = (
    <NonceContext.Provider value={nonce}>
      <RemixServer context={remixContext} url={request.url} abortDelay={ABORT_DELAY_MS} nonce={nonce} />
    </NonceContext.Provider>
  )
  responseHeaders.set('Content-Type', 'text/html; charset=utf-8')
  if (!deferred) {
    const body = Buffer.from(`<!DOCTYPE html>${renderToString(page)}`)
    responseHeaders.set('Content-Length', String(body.byteLength))
    return new Response(body, { headers: responseHeaders, status: responseStatusCode })
  }
  // Browsers get the shell at once and the deferred parts as they arrive; crawlers, all of it.
  const streamShell = !remixContext.isSpaMode && !isbot(request.headers.get('user-agent') ?? '')
  return new Promise<Response>((resolve, reject) => {
    let shellRendered = false
    let timer: ReturnType<typeof setTimeout> | undefined
    const { pipe, abort } = renderToPipeableStream(page, {
      nonce,
      [streamShell ? 'onShellReady' : 'onAllReady']() {
        shellRendered = true
        const body = new PassThrough()
        body.once('close', () => clearTimeout(timer))
        resolve(new Response(createReadableStreamFromReadable(body), { headers: responseHeaders, status: responseStatusCode }))
        pipe(body)
      },
      onShellError(error: unknown) {
        clearTimeout(timer)
        reject(error)
      },
      onError(error: unknown) {
        responseStatusCode = 500
        // Errors before the shell is ready reject above and Remix logs them itself.
        if (shellRendered) console.error(error)
      },
    })
    timer = setTimeout(abort, ABORT_DELAY_MS)
  })
}

/** Logs server faults only: an aborted request or a 404 for a probed URL is not one. */
export const handleError: HandleErrorFunction = (error, { request }) => {
  if (request.signal.aborted || (isRouteErrorResponse(error) && error.status < 500)) return
  console.error(error)
}
