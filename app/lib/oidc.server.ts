import crypto from 'node:crypto'
import { createCookie, type AppLoadContext, type Cookie } from '@remix-run/node'
import * as client from 'openid-client'
import type { Config } from '../../config/env.js'
import type { OidcConfig } from '../../config/oidc.js'
import { mapCis2Claims } from '../../core/cis2-claims.js'
import { writeAccessLog } from '../../db/queries/access-log.js'
import { consumeOidcFlow, createOidcFlow, practiceIdsByOds, upsertOidcUser } from '../../db/queries/oidc.js'
import { safeRedirect } from './auth.server.js'
import { getDb } from './db.server.js'
import { startSession } from './session.server.js'

/**
 * Sign-in with NHS Care Identity (OpenID Connect, authorization code with PKCE; decision 038).
 * /auth/oidc/start keeps a state, a nonce and a PKCE verifier server-side under a random id
 * that a short-lived cookie of this browser carries, and sends the browser to the provider;
 * /auth/oidc/callback consumes that record (once), lets openid-client check the state, swap
 * the code with the verifier and check the ID token (issuer, audience, signature, nonce), maps
 * the selected CIS2 role to a role and practices, and starts the same server-side session a
 * password sign-in starts. Every outcome goes to the access log.
 */

/** Minutes a person has at the provider before the sign-in must start again. */
const FLOW_MINUTES = 10

export type OidcOutcome =
  | { ok: true; redirectTo: string; setCookie: string[] }
  | { ok: false; status: 400 | 403 | 503; title: string; message: string; setCookie: string[] }

const discovered = new WeakMap<OidcConfig, Promise<client.Configuration>>()

/** The provider's metadata (discovered once per configuration; a failure is retried next time). */
export function providerConfiguration(oidc: OidcConfig): Promise<client.Configuration> {
  let p = discovered.get(oidc)
  if (!p) {
    p = client.discovery(
      oidc.issuer,
      oidc.clientId,
      oidc.clientSecret ?? undefined,
      oidc.clientSecret ? client.ClientSecretPost(oidc.clientSecret) : client.None(),
      { execute: oidc.allowInsecureRequests ? [client.allowInsecureRequests] : [], timeout: 15 },
    )
    p.catch(() => discovered.delete(oidc))
    discovered.set(oidc, p)
  }
  return p
}

const flowCookies = new WeakMap<Config, Cookie>()

function flowCookie(config: Config): Cookie {
  let c = flowCookies.get(config)
  if (!c) {
    c = createCookie('__ledger_oidc', {
      httpOnly: true,
      // lax: sent when the provider sends the browser back (a top-level GET), never on a cross-site POST.
      sameSite: 'lax',
      secure: config.session.secureCookies,
      path: '/auth/oidc',
      secrets: [config.sessionSecret],
      maxAge: FLOW_MINUTES * 60,
    })
    flowCookies.set(config, c)
  }
  return c
}

const hashId = (id: string) => crypto.createHash('sha256').update(id).digest('hex')

const UNREACHABLE = {
  status: 503 as const,
  title: 'NHS Care Identity cannot be reached',
  message:
    'Sharing Ledger could not reach NHS Care Identity to sign you in. Try again in a few minutes; if it goes on, tell the administrator.',
}

/** The provider's address to send the browser to, with the cookie that ties the answer to this browser. */
export async function startOidcSignIn(
  context: AppLoadContext,
  redirectTo: string | null,
): Promise<{ ok: true; url: string; setCookie: string } | { ok: false; status: 503; title: string; message: string }> {
  const oidc = context.config.oidc!
  let cfg: client.Configuration
  try {
    cfg = await providerConfiguration(oidc)
  } catch {
    return { ok: false, ...UNREACHABLE }
  }
  const flow = {
    state: client.randomState(),
    nonce: client.randomNonce(),
    code_verifier: client.randomPKCECodeVerifier(),
    redirect_to: safeRedirect(redirectTo),
  }
  const id = crypto.randomBytes(32).toString('base64url')
  await createOidcFlow(getDb(context), hashId(id), flow, FLOW_MINUTES)
  const url = client.buildAuthorizationUrl(cfg, {
    redirect_uri: oidc.redirectUrl.href,
    scope: oidc.scopes,
    state: flow.state,
    nonce: flow.nonce,
    code_challenge: await client.calculatePKCECodeChallenge(flow.code_verifier),
    code_challenge_method: 'S256',
  })
  return { ok: true, url: url.href, setCookie: await flowCookie(context.config).serialize(id) }
}

/** Why a callback was refused, in the access log's words (for the reviewer, not the person). */
function failureReason(error: unknown): { reason: string; unreachable: boolean; providerError?: string } {
  if (error instanceof client.AuthorizationResponseError)
    return { reason: `provider answered ${error.error}`, unreachable: false, providerError: error.error }
  if (error instanceof client.ResponseBodyError) return { reason: `token endpoint answered ${error.error}`, unreachable: false }
  const e = error as Error & { code?: string; cause?: unknown }
  if (e?.name === 'TypeError' || e?.name === 'AbortError' || e?.name === 'TimeoutError' || e?.code === 'OAUTH_TIMEOUT') {
    return { reason: `provider unreachable: ${e.message}`, unreachable: true }
  }
  // openid-client wraps the check that failed (state, nonce, issuer, signature...) as the cause.
  const cause = e?.cause instanceof Error ? `: ${e.cause.message}` : ''
  return { reason: `${e?.code ?? 'error'}: ${String(e?.message ?? error)}${cause}`.slice(0, 300), unreachable: false }
}

/** Finishes a sign-in at /auth/oidc/callback. Never throws for anything the browser or provider sent. */
export async function finishOidcSignIn(context: AppLoadContext, request: Request): Promise<OidcOutcome> {
  const oidc = context.config.oidc!
  const db = getDb(context)
  const cookies = flowCookie(context.config)
  const clear = await cookies.serialize('', { maxAge: 0 })
  const log = (
    outcome: 'ok' | 'failed' | 'denied',
    actor: string,
    detail: Record<string, unknown>,
    userId: number | null = null,
    practiceIds: number[] = [],
  ) =>
    writeAccessLog(db, {
      userId,
      actor,
      action: 'sign_in',
      outcome,
      practiceIds,
      ip: context.ip ?? null,
      detail: { method: 'oidc', ...detail },
    })
  const refuse = async (
    status: 400 | 403 | 503,
    title: string,
    message: string,
    logged: { outcome: 'failed' | 'denied'; actor: string; detail: Record<string, unknown>; userId?: number | null },
  ): Promise<OidcOutcome> => {
    await log(logged.outcome, logged.actor, logged.detail, logged.userId ?? null)
    return { ok: false, status, title, message, setCookie: [clear] }
  }
  const startAgain = 'Go back to the sign-in page and choose “Sign in with NHS Care Identity” again.'

  const id = await cookies.parse(request.headers.get('Cookie'))
  const flow = typeof id === 'string' && id.length <= 100 ? await consumeOidcFlow(db, hashId(id)) : undefined
  if (!flow) {
    return refuse(
      400,
      'This sign-in has expired',
      `This sign-in was not started in this browser, was already used, or took longer than ${FLOW_MINUTES} minutes. ${startAgain}`,
      {
        outcome: 'failed',
        actor: 'oidc',
        detail: { reason: 'no sign-in in progress for this browser (expired, used or never started)' },
      },
    )
  }

  let cfg: client.Configuration
  try {
    cfg = await providerConfiguration(oidc)
  } catch (error) {
    return refuse(UNREACHABLE.status, UNREACHABLE.title, UNREACHABLE.message, {
      outcome: 'failed',
      actor: 'oidc',
      detail: { reason: failureReason(error).reason },
    })
  }
  // The address as the provider was told it (behind a proxy the request's own may differ), with the response's parameters.
  const current = new URL(oidc.redirectUrl)
  current.search = new URL(request.url).search
  let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>
  let claims: Record<string, unknown>
  try {
    tokens = await client.authorizationCodeGrant(cfg, current, {
      pkceCodeVerifier: flow.code_verifier,
      expectedState: flow.state,
      expectedNonce: flow.nonce,
      idTokenExpected: true,
    })
    const idClaims = tokens.claims()!
    claims = { ...idClaims }
    // CIS2 puts the role profiles in the ID token; a provider that keeps them for userinfo is asked there.
    if (claims.nhsid_nrbac_roles === undefined && cfg.serverMetadata().userinfo_endpoint) {
      const info = await client.fetchUserInfo(cfg, tokens.access_token, idClaims.sub)
      claims = {
        ...info,
        ...idClaims,
        nhsid_nrbac_roles: info.nhsid_nrbac_roles,
        selected_roleid: idClaims.selected_roleid ?? info.selected_roleid,
      }
    }
  } catch (error) {
    const why = failureReason(error)
    if (why.unreachable)
      return refuse(UNREACHABLE.status, UNREACHABLE.title, UNREACHABLE.message, {
        outcome: 'failed',
        actor: 'oidc',
        detail: { reason: why.reason },
      })
    if (why.providerError === 'access_denied' || why.providerError === 'login_required') {
      return refuse(403, 'Sign-in cancelled', `NHS Care Identity did not sign you in (${why.providerError}). ${startAgain}`, {
        outcome: 'failed',
        actor: 'oidc',
        detail: { reason: why.reason },
      })
    }
    return refuse(
      400,
      'The sign-in could not be completed',
      `The answer from NHS Care Identity could not be accepted, so you are not signed in. ${startAgain}`,
      {
        outcome: 'failed',
        actor: 'oidc',
        detail: { reason: why.reason },
      },
    )
  }

  const subject = String(claims.sub)
  const email = typeof claims.email === 'string' && /^[^\s@]{1,100}@[^\s@]{1,200}$/.test(claims.email) ? claims.email : null
  const actor = (email ?? `oidc:${subject}`).slice(0, 200)
  const practices = await practiceIdsByOds(db)
  const mapping = mapCis2Claims(claims, oidc.roleMap, new Set(practices.keys()))
  const profileDetail = (p: { roleCode: string; orgCode: string; personRoleId: string } | null) =>
    p ? { role_code: p.roleCode, org_code: p.orgCode, person_roleid: p.personRoleId } : {}
  if (!mapping.ok) {
    return refuse(403, 'You cannot sign in to Sharing Ledger with this role', mapping.message, {
      outcome: 'denied',
      actor,
      detail: { reason: mapping.reason, subject, ...profileDetail(mapping.profile) },
    })
  }
  const name =
    typeof claims.name === 'string' ? claims.name : [claims.given_name, claims.family_name].filter((v) => typeof v === 'string').join(' ')
  const practiceIds = mapping.practiceOds.map((ods) => practices.get(ods)!)
  const result = await upsertOidcUser(db, {
    issuer: cfg.serverMetadata().issuer,
    subject,
    email,
    displayName: (name.trim() || email || subject).slice(0, 200),
    role: mapping.role,
    practiceIds,
  })
  if (!result.ok) {
    const message =
      result.reason === 'disabled'
        ? 'Your Sharing Ledger account has been disabled by an administrator. Ask them if you should have access.'
        : `Another Sharing Ledger account, which signs in with a password, already has the e-mail address ${email}. ` +
          'It is not joined to your NHS Care Identity automatically: ask the administrator to remove or rename that account.'
    return refuse(403, 'You cannot sign in to Sharing Ledger', message, {
      outcome: 'denied',
      actor,
      userId: result.user?.id ?? null,
      detail: {
        reason: result.reason === 'disabled' ? 'account disabled' : 'e-mail address held by a password account',
        subject,
        ...profileDetail(mapping.profile),
      },
    })
  }
  const setCookie = await startSession(context, result.user.id, { oidcIdToken: tokens.id_token })
  await log(
    'ok',
    result.user.email,
    { subject, role: mapping.role, created: result.created, ...profileDetail(mapping.profile) },
    result.user.id,
    mapping.role === 'admin' ? [] : practiceIds,
  )
  return { ok: true, redirectTo: safeRedirect(flow.redirect_to), setCookie: [clear, setCookie] }
}

/**
 * Where to send the browser after the local session has ended: the provider's end-session
 * endpoint (RP-initiated logout) when the session came from it and it offers one, else null.
 */
export async function providerLogoutUrl(config: Config, idToken: string | null): Promise<string | null> {
  if (!config.oidc || !idToken) return null
  try {
    const cfg = await providerConfiguration(config.oidc)
    if (!cfg.serverMetadata().end_session_endpoint) return null
    return client.buildEndSessionUrl(cfg, {
      id_token_hint: idToken,
      post_logout_redirect_uri: config.oidc.postLogoutRedirectUrl.href,
    }).href
  } catch {
    // The local session has ended whatever the provider's state: that is what matters here.
    return null
  }
}
