import crypto from 'node:crypto'
import fs from 'node:fs/promises'
import type { Config } from '../../config/env.js'
import { quoteSafely } from '../../core/identifiers.js'
import { FhirSourceError, fetchOnSameServer, networkFailure, readCapped } from './http.js'

// SMART Backend Services (SMART App Launch 2, "Backend Services"; docs/decisions/041): the
// ledger finds the source's token endpoint in {base}/.well-known/smart-configuration, signs a
// short JWT assertion (RS384 or ES384) with its private key, and trades it for a short-lived
// access token with the client_credentials grant. The token lives only in this object for
// one run; it and the key are never logged, stored or put in an error.

/** How the requests of one run to a source's own server are authorised. */
export interface SourceAuth {
  /** The Authorization header for the source's own server, if any. */
  header(): Promise<string | undefined>
  /** After a 401: drops the token and obtains a new one. False when there is nothing to renew (a static token). */
  renew(): Promise<boolean>
}

export interface SmartClient {
  clientId: string
  keyFile: string
  keyId: string
}

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
export const V1_SCOPES = 'system/AuditEvent.read system/Consent.read'
export const V2_SCOPES = 'system/AuditEvent.rs system/Consent.rs'
/** The assertion's lifetime: the spec allows at most five minutes. */
const ASSERTION_SECONDS = 240
/** When the token endpoint gives no expires_in. */
const DEFAULT_TOKEN_SECONDS = 300
const SMALL_BODY_BYTES = 262_144

export function staticAuth(token: string | null): SourceAuth {
  return { header: async () => (token ? `Bearer ${token}` : undefined), renew: async () => false }
}

type Alg = 'RS384' | 'ES384'

interface Discovered {
  tokenUrl: string
  scope: string
  algs: string[] | null
}

/** The signing algorithm a key makes: RSA signs RS384, an EC P-384 key ES384; anything else is refused. */
export function algorithmOf(key: crypto.KeyObject): Alg | null {
  if (key.asymmetricKeyType === 'rsa') return 'RS384'
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'secp384r1') return 'ES384'
  return null
}

/** A compact JWS: base64url(header).base64url(claims).base64url(signature). */
export function signJwt(key: crypto.KeyObject, alg: Alg, header: Record<string, unknown>, claims: Record<string, unknown>): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')
  const input = `${part({ ...header, alg })}.${part(claims)}`
  const signature =
    alg === 'RS384'
      ? crypto.sign('sha384', Buffer.from(input), key)
      : crypto.sign('sha384', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' })
  return `${input}.${signature.toString('base64url')}`
}

/** Reads the private key (PEM, or a JWK as JSON). The error names the file, never its contents. */
export async function loadKey(sourceId: number, file: string): Promise<{ key: crypto.KeyObject; alg: Alg }> {
  let text: string
  try {
    text = await fs.readFile(file, 'utf8')
  } catch (err) {
    const code = (err as { code?: string }).code
    const why = code === 'ENOENT' ? 'there is no such file' : code === 'EACCES' ? 'permission denied' : 'it could not be read'
    throw new FhirSourceError(`The SMART private key of source ${sourceId} could not be read from ${quoteSafely(file, 200)} (${why})`)
  }
  let key: crypto.KeyObject
  try {
    key = text.trim().startsWith('{') ? crypto.createPrivateKey({ key: JSON.parse(text), format: 'jwk' }) : crypto.createPrivateKey(text)
  } catch {
    throw new FhirSourceError(
      `The SMART private key file of source ${sourceId} (${quoteSafely(file, 200)}) holds no private key (PEM or JWK)`,
    )
  }
  const alg = algorithmOf(key)
  if (!alg) throw new FhirSourceError(`The SMART private key of source ${sourceId} must be RSA (RS384) or EC P-384 (ES384)`)
  return { key, alg }
}

/** Which scopes to ask for: v1 `.read`, unless the server lists only SMART v2 `.rs`-style scopes. */
export function chooseScopes(supported: unknown): string {
  if (!Array.isArray(supported)) return V1_SCOPES
  const ours = supported.filter((s): s is string => typeof s === 'string' && /^system\/(\*|AuditEvent|Consent)\./.test(s))
  const v1 = ours.some((s) => s.endsWith('.read') || s.endsWith('.*'))
  const v2 = ours.some((s) => /\.c?r?u?d?s?$/.test(s) && /\.[cud]*r/.test(s))
  return v2 && !v1 ? V2_SCOPES : V1_SCOPES
}

interface Options {
  sourceId: number
  base: string
  client: SmartClient
  http: Config['http']
  signal: AbortSignal
  log: (line: string) => void
}

/** SMART Backend Services for one run: discovery once, a token cached until shortly before it expires. */
export function smartAuth(o: Options): SourceAuth {
  let discovered: Discovered | undefined
  let signing: { key: crypto.KeyObject; alg: Alg } | undefined
  let token: { value: string; renewAt: number } | undefined
  let pending: Promise<string> | undefined

  const deadline = () => AbortSignal.any([o.signal, AbortSignal.timeout(o.http.timeoutMs)])
  const failed = (err: unknown, what: string): never => {
    if (err instanceof FhirSourceError || o.signal.aborted) throw err
    throw new FhirSourceError(`${what} did not answer (${networkFailure(err)})`)
  }

  async function discover(): Promise<Discovered> {
    const url = `${o.base}/.well-known/smart-configuration`
    const what = "The FHIR source's SMART configuration (.well-known/smart-configuration)"
    let json: Record<string, unknown>
    try {
      const answer = await fetchOnSameServer(url, { Accept: 'application/json' }, deadline())
      if ('failure' in answer) throw new FhirSourceError(`${what} could not be read: it ${answer.failure}`)
      const { response } = answer
      if (!response.ok) {
        response.body?.cancel().catch(() => {})
        throw new FhirSourceError(`${what} could not be read (HTTP ${response.status})`)
      }
      const read = await readCapped(response, SMALL_BODY_BYTES, deadline())
      if ('failure' in read) throw new FhirSourceError(`${what} could not be read: it ${read.failure}`)
      json = JSON.parse(read.text)
    } catch (err) {
      if (err instanceof SyntaxError) throw new FhirSourceError(`${what} is not JSON`)
      return failed(err, what)
    }
    let tokenUrl: URL
    try {
      tokenUrl = new URL(String(json.token_endpoint ?? ''))
    } catch {
      throw new FhirSourceError(`${what} names no token_endpoint`)
    }
    // An https source must not send its assertion over plain http.
    if (tokenUrl.protocol !== 'https:' && !(tokenUrl.protocol === 'http:' && new URL(o.base).protocol === 'http:'))
      throw new FhirSourceError(`${what} names a token_endpoint that is not https`)
    const methods = json.token_endpoint_auth_methods_supported
    if (Array.isArray(methods) && !methods.includes('private_key_jwt'))
      throw new FhirSourceError(`${what} does not offer private_key_jwt client authentication`)
    const algs = Array.isArray(json.token_endpoint_auth_signing_alg_values_supported)
      ? json.token_endpoint_auth_signing_alg_values_supported.filter((a): a is string => typeof a === 'string')
      : null
    return { tokenUrl: tokenUrl.href, scope: chooseScopes(json.scopes_supported), algs }
  }

  async function obtain(): Promise<string> {
    discovered ??= await discover()
    signing ??= await loadKey(o.sourceId, o.client.keyFile)
    const { tokenUrl, scope, algs } = discovered
    if (algs && !algs.includes(signing.alg))
      throw new FhirSourceError(
        `The FHIR source's SMART token endpoint accepts ${algs.map((a) => quoteSafely(a, 20)).join(', ') || 'no'} assertions, not ${signing.alg} (the key of source ${o.sourceId})`,
      )
    const now = Math.floor(Date.now() / 1000)
    const assertion = signJwt(
      signing.key,
      signing.alg,
      { typ: 'JWT', kid: o.client.keyId },
      { iss: o.client.clientId, sub: o.client.clientId, aud: tokenUrl, exp: now + ASSERTION_SECONDS, jti: crypto.randomUUID() },
    )
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      scope,
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: assertion,
    })
    const what = 'The SMART token endpoint'
    const client = `client "${quoteSafely(o.client.clientId, 100)}"`
    let status: number
    let json: Record<string, unknown> = {}
    try {
      const response = await fetch(tokenUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body,
        redirect: 'error',
        signal: deadline(),
      })
      status = response.status
      const read = await readCapped(response, SMALL_BODY_BYTES, deadline())
      if ('failure' in read) throw new FhirSourceError(`${what} sent no usable answer: it ${read.failure}`)
      try {
        json = JSON.parse(read.text)
      } catch {
        if (response.ok) throw new FhirSourceError(`${what} answered with something other than JSON`)
      }
    } catch (err) {
      return failed(err, what)
    }
    if (status !== 200) {
      const error = typeof json.error === 'string' ? ` ${quoteSafely(json.error, 60)}` : ''
      const said = typeof json.error_description === 'string' ? `: ${quoteSafely(json.error_description, 200)}` : ''
      throw new FhirSourceError(`${what} refused ${client} of source ${o.sourceId} (HTTP ${status}${error}${said})`)
    }
    const value = json.access_token
    if (typeof value !== 'string' || value === '' || String(json.token_type ?? '').toLowerCase() !== 'bearer')
      throw new FhirSourceError(`${what} answered ${client} without a bearer access_token`)
    const lifetimeMs = (typeof json.expires_in === 'number' && json.expires_in > 0 ? json.expires_in : DEFAULT_TOKEN_SECONDS) * 1000
    // Renewed shortly before it expires: a fifth of its life early, at most a minute.
    token = { value, renewAt: Date.now() + lifetimeMs - Math.min(60_000, lifetimeMs / 5) }
    const granted = typeof json.scope === 'string' ? quoteSafely(json.scope, 200) : scope
    o.log(`source ${o.sourceId}: SMART access token obtained for ${client} (${granted}, ${Math.round(lifetimeMs / 1000)} s)`)
    return value
  }

  async function current(): Promise<string> {
    if (token && Date.now() < token.renewAt) return token.value
    pending ??= obtain().finally(() => {
      pending = undefined
    })
    return pending
  }

  return {
    header: async () => `Bearer ${await current()}`,
    renew: async () => {
      token = undefined
      await current()
      return true
    },
  }
}
