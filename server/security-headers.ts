import type express from 'express'
import helmet from 'helmet'
import { newNonce } from './request-handler.js'

/**
 * Headers on every response (helmet: the well-kept defaults for Express, decision 015). The
 * content security policy runs no inline script except Remix's own, which carries this
 * response's nonce (res.locals.cspNonce, passed to the page through the load context); styles
 * may be inline because charts set style attributes. No page may be framed, types are not
 * sniffed, and the Referer never leaves the site.
 */
export function securityHeaders({ https, formTargets = [] }: { https: boolean; formTargets?: string[] }): express.RequestHandler[] {
  return [
    (_req, res, next) => {
      res.locals.cspNonce = newNonce()
      next()
    },
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'", (_req, res) => `'nonce-${(res as express.Response).locals.cspNonce}'`],
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:'],
          fontSrc: ["'self'"],
          connectSrc: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'self'"],
          // Signing out of NHS Care Identity (decision 038) is a form post that ends at the provider.
          formAction: ["'self'", ...formTargets],
          frameAncestors: ["'none'"],
          ...(https ? { upgradeInsecureRequests: [] } : {}),
        },
      },
      referrerPolicy: { policy: 'same-origin' },
      // Only behind HTTPS: over plain HTTP (the demo, tests) the header means nothing.
      strictTransportSecurity: https ? { maxAge: 31_536_000 } : false,
      crossOriginEmbedderPolicy: false,
    }),
  ]
}
