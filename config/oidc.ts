import fs from 'node:fs'
import { z } from 'zod'
import { ODS_PRACTICE_PATTERN } from '../db/queries/practices.js'
import { ROLES, type Role } from '../db/queries/users.js'

/**
 * Staff sign-in with OpenID Connect (NHS Care Identity Service 2), read from the environment
 * (decision 038). Off unless OIDC_ISSUER_URL is set; then the client id, a redirect address
 * (OIDC_REDIRECT_URL, or PUBLIC_URL + /auth/oidc/callback) and a role mapping are required.
 */

export interface OidcConfig {
  issuer: URL
  clientId: string
  /** Null for a public client (PKCE alone); CIS2 issues a secret or a key to every confidential client. */
  clientSecret: string | null
  redirectUrl: URL
  /** Where the provider sends the browser back after RP-initiated logout. */
  postLogoutRedirectUrl: URL
  scopes: string
  roleMap: RoleMap
  /** Plain http:// to the provider: only for a provider on this machine (tests, a local stand-in). */
  allowInsecureRequests: boolean
}

/**
 * Which CIS2 job roles become which product role, and which organisations (ODS codes) other
 * than a practice itself cover which practices. Nothing unlisted gets in (decision 038).
 */
export interface RoleMap {
  /** A role_code as CIS2 sends it ("S8000:G8000:R8000") or its job-role part ("R8000") -> product role. */
  roles: Record<string, Role>
  /** An organisation's ODS code -> the practices (ODS codes) its staff see. A practice's own code needs no entry. */
  organisations: Record<string, string[]>
}

const ROLE_CODE = /^[A-Z0-9]{1,12}(:[A-Z0-9]{1,12}){0,4}$/i
const ORG_CODE = /^[A-Z0-9]{3,10}$/i

const RoleMapSchema = z
  .object({
    roles: z
      .record(
        z.string().regex(ROLE_CODE, 'role codes are CIS2 codes such as "R8000" or "S8000:G8000:R8000"'),
        z.enum(ROLES, { message: `each role code must map to one of ${ROLES.join(', ')}` }),
      )
      .refine((r) => Object.keys(r).length > 0, 'must list at least one role code'),
    organisations: z
      .record(
        z.string().regex(ORG_CODE, 'organisation codes are ODS codes of 3 to 10 letters and digits'),
        z
          .array(
            z.string().regex(new RegExp(ODS_PRACTICE_PATTERN.source, 'i'), 'each organisation maps to practice ODS codes such as "A81001"'),
          )
          .min(1),
      )
      .default({}),
  })
  .strict()

/** Parses a role mapping (JSON text); throws an Error with one sentence on a bad one. */
export function parseRoleMap(text: string, source: string): RoleMap {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new Error(`${source} is not JSON: it must be {"roles": {"R8000": "practice_manager"}, "organisations": {}}`)
  }
  const parsed = RoleMapSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw new Error(`${source}: ${issue.path.join('.') || 'the mapping'} ${issue.message}`)
  }
  const upper = <T>(record: Record<string, T>) => Object.fromEntries(Object.entries(record).map(([k, v]) => [k.toUpperCase(), v]))
  return {
    roles: upper(parsed.data.roles),
    organisations: upper(Object.fromEntries(Object.entries(parsed.data.organisations).map(([k, v]) => [k, v.map((c) => c.toUpperCase())]))),
  }
}

export interface OidcEnv {
  OIDC_ISSUER_URL?: string
  OIDC_CLIENT_ID?: string
  OIDC_CLIENT_SECRET?: string
  OIDC_REDIRECT_URL?: string
  OIDC_SCOPES?: string
  OIDC_ROLE_MAP?: string
  OIDC_ROLE_MAP_FILE?: string
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]'])

function url(value: string, name: string, what: string): URL {
  let u: URL
  try {
    u = new URL(value)
  } catch {
    throw new Error(`${name} must be ${what}`)
  }
  if ((u.protocol !== 'https:' && u.protocol !== 'http:') || u.username || u.password || u.hash) throw new Error(`${name} must be ${what}`)
  return u
}

/** The OIDC configuration, or null when OIDC_ISSUER_URL is unset; throws an Error naming the variable. */
export function loadOidcConfig(e: OidcEnv, publicUrl: string | null): OidcConfig | null {
  if (!e.OIDC_ISSUER_URL) {
    const stray = (['OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET', 'OIDC_REDIRECT_URL', 'OIDC_ROLE_MAP', 'OIDC_ROLE_MAP_FILE'] as const).find(
      (k) => e[k],
    )
    if (stray)
      throw new Error(
        `OIDC_ISSUER_URL must be set when ${stray} is set (the provider's issuer, such as "https://am.nhsidentity.spineservices.nhs.uk/openam/oauth2/realms/root/realms/NHSIdentity/realms/Healthcare")`,
      )
    return null
  }
  const issuer = url(e.OIDC_ISSUER_URL, 'OIDC_ISSUER_URL', "the provider's https:// issuer address")
  const insecure = issuer.protocol === 'http:'
  if (insecure && !LOOPBACK.has(issuer.hostname)) {
    throw new Error('OIDC_ISSUER_URL must be https:// (plain http:// is allowed only for a provider on this machine, 127.0.0.1)')
  }
  if (!e.OIDC_CLIENT_ID) throw new Error('OIDC_CLIENT_ID must be set when OIDC_ISSUER_URL is set (the client id the provider issued)')
  const redirect = e.OIDC_REDIRECT_URL ?? (publicUrl ? `${publicUrl}/auth/oidc/callback` : undefined)
  if (!redirect) {
    throw new Error(
      'OIDC_REDIRECT_URL (or PUBLIC_URL) must be set when OIDC_ISSUER_URL is set: the address the provider sends people back to, ending /auth/oidc/callback',
    )
  }
  const redirectUrl = url(redirect, 'OIDC_REDIRECT_URL', 'the http:// or https:// address ending /auth/oidc/callback')
  if (redirectUrl.pathname !== '/auth/oidc/callback' || redirectUrl.search) {
    throw new Error('OIDC_REDIRECT_URL must end /auth/oidc/callback (the page that finishes the sign-in), with no query')
  }
  if (e.OIDC_ROLE_MAP && e.OIDC_ROLE_MAP_FILE) throw new Error('OIDC_ROLE_MAP and OIDC_ROLE_MAP_FILE are both set: set one')
  let roleMap: RoleMap
  if (e.OIDC_ROLE_MAP) roleMap = parseRoleMap(e.OIDC_ROLE_MAP, 'OIDC_ROLE_MAP')
  else if (e.OIDC_ROLE_MAP_FILE) {
    let text: string
    try {
      text = fs.readFileSync(e.OIDC_ROLE_MAP_FILE, 'utf8')
    } catch {
      throw new Error(`OIDC_ROLE_MAP_FILE names a file that cannot be read: ${e.OIDC_ROLE_MAP_FILE}`)
    }
    roleMap = parseRoleMap(text, 'OIDC_ROLE_MAP_FILE')
  } else {
    throw new Error(
      'OIDC_ROLE_MAP or OIDC_ROLE_MAP_FILE must be set when OIDC_ISSUER_URL is set: which CIS2 role codes become which role (nobody gets a default role)',
    )
  }
  const scopes = e.OIDC_SCOPES ?? 'openid profile email nationalrbacaccess selectedrole'
  if (!scopes.split(/\s+/).includes('openid')) throw new Error('OIDC_SCOPES must include openid')
  return {
    issuer,
    clientId: e.OIDC_CLIENT_ID,
    clientSecret: e.OIDC_CLIENT_SECRET ?? null,
    redirectUrl,
    postLogoutRedirectUrl: new URL('/login?signedOut=1', redirectUrl),
    scopes,
    roleMap,
    allowInsecureRequests: insecure,
  }
}
