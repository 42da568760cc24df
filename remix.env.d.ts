/// <reference types="@remix-run/dev" />
/// <reference types="@remix-run/node" />
import '@remix-run/node'
import type { Config } from './config/env'
import type { Db } from './db/client'

// What server.ts hands every loader and action (getLoadContext); read it through app/lib/db.server.ts.
declare module '@remix-run/node' {
  interface AppLoadContext {
    db: Db
    config: Config
    /** The client's address as the web server saw it, for the access log. */
    ip?: string | null
    /** Aborted when the server shuts down; long jobs started from a page watch it. */
    stopSignal?: AbortSignal
    /**
     * One HTTP request's memo of the signed-in viewer, so the page frame and the page look the
     * user up once. server.ts makes a fresh one per request; contexts without it never cache.
     */
    viewerMemo?: Map<string, Promise<import('./app/lib/access.server').Viewer | null>>
    /** This response's content-security-policy nonce, for the inline scripts Remix writes. */
    cspNonce?: string
    /**
     * Resolves true once this request's response has been handed whole to the network ('finish'),
     * false if the connection closed first. Report downloads are recorded only on true.
     */
    whenResponseSent?: () => Promise<boolean>
    /**
     * Ends this request's turn at the server's request gate (server/request-gate.ts) early: a
     * report that takes seconds to produce calls it first, so pages do not queue behind it.
     */
    leaveTurn?: () => void
  }
}
