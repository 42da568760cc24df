import crypto from 'node:crypto'
import type http from 'node:http'

/**
 * SMART Backend Services for the simulated practices (docs/decisions/041): each practice's
 * `/fhir/{ODS}/.well-known/smart-configuration`, a token endpoint at `/auth/token` that checks
 * a client assertion against the registered public key (iss = sub = client id, aud = the token
 * URL, exp at most five minutes ahead, jti never seen before, signature RS384/ES384), and the
 * bearer check that guards the $export endpoints.
 */

export interface SmartConfig {
  /** Registered clients: client id -> public key (PEM, JWK or KeyObject). */
  clients: Record<string, string | crypto.JsonWebKey | crypto.KeyObject>
  /** Lifetime of an access token, in seconds. Default 300. */
  tokenSeconds?: number
  /** 'v2': the configuration lists only SMART v2 `.rs` scopes. Default 'v1'. */
  scopes?: 'v1' | 'v2'
  /** Announce this token endpoint instead of the simulator's own (one that is down, say). */
  tokenEndpoint?: string
  /** The next token issued stops working after this many requests, as if it expired mid-export (once). */
  expireNextTokenAfter?: number
}

export interface SmartLog {
  /** Tokens issued (the test checks none of them reached a log). */
  issued: string[]
  /** Why each token request was refused. */
  refused: string[]
  /** Bearer tokens refused on $export endpoints. */
  bearerRefusals: number
}

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
const SCOPES = { v1: ['system/AuditEvent.read', 'system/Consent.read'], v2: ['system/AuditEvent.rs', 'system/Consent.rs'] }

class OAuthProblem extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    description: string,
  ) {
    super(description)
  }
}

export function createSmart(initial: SmartConfig, deps: { baseUrl: () => string }) {
  let config = { ...initial }
  const keys = new Map(
    Object.entries(config.clients).map(([id, k]) => [
      id,
      k instanceof crypto.KeyObject
        ? k
        : typeof k === 'string' && !k.trim().startsWith('{')
          ? crypto.createPublicKey(k)
          : crypto.createPublicKey({ key: typeof k === 'string' ? JSON.parse(k) : k, format: 'jwk' }),
    ]),
  )
  const seenJti = new Map<string, number>()
  const tokens = new Map<string, { expiresAt: number; usesLeft: number }>()
  let expireNext = config.expireNextTokenAfter
  const log: SmartLog = { issued: [], refused: [], bearerRefusals: 0 }
  const tokenUrl = () => `${deps.baseUrl()}/auth/token`

  const json = (res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}) => {
    const text = JSON.stringify(body)
    res.writeHead(status, {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-store',
      'Content-Length': Buffer.byteLength(text),
      ...headers,
    })
    res.end(text)
  }

  function configuration(practiceUrl: string) {
    return {
      issuer: practiceUrl,
      token_endpoint: config.tokenEndpoint ?? tokenUrl(),
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
      scopes_supported: config.scopes === 'v2' ? ['system/*.rs'] : ['system/*.read', ...SCOPES.v1],
      capabilities: ['client-confidential-asymmetric', ...(config.scopes === 'v2' ? ['permission-v2'] : ['permission-v1'])],
    }
  }

  function verifyAssertion(assertion: string): string {
    const parts = assertion.split('.')
    if (parts.length !== 3) throw new OAuthProblem(400, 'invalid_request', 'client_assertion is not a compact JWT')
    let header: { alg?: unknown; kid?: unknown }
    let claims: { iss?: unknown; sub?: unknown; aud?: unknown; exp?: unknown; jti?: unknown }
    try {
      header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8'))
      claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'))
    } catch {
      throw new OAuthProblem(400, 'invalid_request', 'client_assertion is not a readable JWT')
    }
    if (typeof header.kid !== 'string') throw new OAuthProblem(401, 'invalid_client', 'the assertion has no kid')
    const clientId = typeof claims.iss === 'string' ? claims.iss : ''
    const key = keys.get(clientId)
    if (!key) throw new OAuthProblem(401, 'invalid_client', 'unknown client')
    if (claims.sub !== clientId) throw new OAuthProblem(401, 'invalid_client', 'iss and sub must both be the client id')
    const input = Buffer.from(`${parts[0]}.${parts[1]}`)
    const signature = Buffer.from(parts[2]!, 'base64url')
    let valid = false
    if (header.alg === 'RS384' && key.asymmetricKeyType === 'rsa') valid = crypto.verify('sha384', input, key, signature)
    else if (header.alg === 'ES384' && key.asymmetricKeyType === 'ec')
      valid = crypto.verify('sha384', input, { key, dsaEncoding: 'ieee-p1363' }, signature)
    else throw new OAuthProblem(401, 'invalid_client', `alg ${String(header.alg)} is not accepted for this client`)
    if (!valid) throw new OAuthProblem(401, 'invalid_client', 'the client assertion signature does not verify with the registered key')
    if (claims.aud !== tokenUrl()) throw new OAuthProblem(401, 'invalid_client', 'aud must be the token endpoint URL')
    const now = Math.floor(Date.now() / 1000)
    if (typeof claims.exp !== 'number' || claims.exp <= now) throw new OAuthProblem(401, 'invalid_client', 'the assertion has expired')
    if (claims.exp > now + 300 + 5) throw new OAuthProblem(401, 'invalid_client', 'exp is more than five minutes ahead')
    if (typeof claims.jti !== 'string' || claims.jti === '') throw new OAuthProblem(401, 'invalid_client', 'the assertion has no jti')
    for (const [jti, exp] of seenJti) if (exp < now) seenJti.delete(jti)
    if (seenJti.has(claims.jti)) throw new OAuthProblem(401, 'invalid_client', 'the assertion jti was used before')
    seenJti.set(claims.jti, claims.exp)
    return clientId
  }

  async function token(req: http.IncomingMessage, res: http.ServerResponse) {
    let text = ''
    for await (const chunk of req) {
      text += chunk
      if (text.length > 65_536) throw new OAuthProblem(400, 'invalid_request', 'request too large')
    }
    const form = new URLSearchParams(text)
    if (form.get('grant_type') !== 'client_credentials') throw new OAuthProblem(400, 'unsupported_grant_type', 'use client_credentials')
    if (form.get('client_assertion_type') !== ASSERTION_TYPE)
      throw new OAuthProblem(400, 'invalid_request', 'client_assertion_type must be jwt-bearer')
    verifyAssertion(form.get('client_assertion') ?? '')
    const allowed = config.scopes === 'v2' ? SCOPES.v2 : [...SCOPES.v1, ...SCOPES.v2]
    const scope = (form.get('scope') ?? '').split(' ').filter(Boolean)
    if (scope.length === 0 || scope.some((s) => !allowed.includes(s)))
      throw new OAuthProblem(400, 'invalid_scope', `scope must be among ${allowed.join(' ')}`)
    const value = crypto.randomBytes(24).toString('base64url')
    const seconds = config.tokenSeconds ?? 300
    tokens.set(value, { expiresAt: Date.now() + seconds * 1000, usesLeft: expireNext ?? Infinity })
    expireNext = undefined
    log.issued.push(value)
    json(res, 200, { access_token: value, token_type: 'bearer', expires_in: seconds, scope: scope.join(' ') })
  }

  return {
    log: () => log,
    /** Changes the token lifetime, scopes, or makes the next token expire mid-export. */
    configure(c: Omit<Partial<SmartConfig>, 'clients'>) {
      config = { ...config, ...c }
      if (c.expireNextTokenAfter !== undefined) expireNext = c.expireNextTokenAfter
    },
    /** Answers smart-configuration and the token endpoint; false for any other request. */
    handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL): boolean {
      const wellKnown = /^\/fhir\/([^/]+)\/\.well-known\/smart-configuration$/.exec(url.pathname)
      if (wellKnown) {
        json(res, 200, configuration(`${deps.baseUrl()}/fhir/${wellKnown[1]}`))
        return true
      }
      if (url.pathname !== '/auth/token') return false
      if (req.method !== 'POST') {
        json(res, 405, { error: 'invalid_request', error_description: 'POST the token request' })
        return true
      }
      token(req, res).catch((err) => {
        if (!(err instanceof OAuthProblem)) return json(res, 500, { error: 'server_error' })
        log.refused.push(err.message)
        json(res, err.status, { error: err.error, error_description: err.message })
      })
      return true
    },
    /** Whether the request carries a live access token (each use counts against a token set to expire mid-export). */
    authorised(req: http.IncomingMessage): boolean {
      const match = /^Bearer (\S+)$/.exec(String(req.headers.authorization ?? ''))
      const held = match ? tokens.get(match[1]!) : undefined
      if (!held || held.expiresAt <= Date.now() || held.usesLeft <= 0) {
        log.bearerRefusals++
        return false
      }
      held.usesLeft--
      return true
    },
  }
}
