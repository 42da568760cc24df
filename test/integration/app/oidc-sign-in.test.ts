import type { AppLoadContext } from '@remix-run/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loader as callbackLoader } from '../../../app/routes/auth.oidc.callback.js'
import { loader as startLoader } from '../../../app/routes/auth.oidc.start.js'
import { action as loginAction, loader as loginLoader } from '../../../app/routes/login.js'
import { action as logoutAction } from '../../../app/routes/logout.js'
import { readSession } from '../../../app/lib/session.server.js'
import { ensurePractice } from '../../../db/queries/practices.js'
import { createUser } from '../../../db/queries/users.js'
import { listMailRecipients } from '../../../db/queries/mail-log.js'
import { listUsers } from '../../../db/queries/admin.js'
import { ORIGIN, TEST_PASSWORD, respond } from '../../support/app.js'
import { useTestDatabase } from '../../support/db.js'
import { CookieJar, oidcTestConfig, startTestProvider, type TestProvider } from '../../support/oidc.js'

// Issue 18 part 3: sign-in with OpenID Connect against a real provider (oidc-provider on
// 127.0.0.1) whose ID tokens carry NHS CIS2 claims. The ledger's side runs through its own
// route loaders; the provider's side is walked over HTTP with a cookie jar, as a browser would.

const t = useTestDatabase()
const REDIRECT = `${ORIGIN}/auth/oidc/callback`
let provider: TestProvider
let context: AppLoadContext
const practiceIds: Record<string, number> = {}

beforeAll(async () => {
  provider = await startTestProvider({ redirectUri: REDIRECT, postLogoutRedirectUri: `${ORIGIN}/login?signedOut=1` })
  context = { db: t.db, config: oidcTestConfig(t.url, provider.issuer, REDIRECT), ip: '127.0.0.1' }
  const practices: Array<[string, string]> = [
    ['A81001', 'Riverside Surgery'],
    ['A81002', 'Hillview Practice'],
    ['A81003', 'Elm Street Surgery'],
  ]
  for (const [ods, name] of practices) {
    practiceIds[ods] = (await ensurePractice(t.db, { odsCode: ods, name })).id
  }
})

afterAll(async () => {
  await provider?.close()
})

/** Runs a route loader; returns the Response it returned or threw. */
const run = (fn: () => Promise<unknown>) => respond(fn)

/** /auth/oidc/start as this jar's browser: returns the provider's authorization URL. */
async function start(jar: CookieJar, redirectTo = '/'): Promise<string> {
  const url = `${ORIGIN}/auth/oidc/start?redirectTo=${encodeURIComponent(redirectTo)}`
  const response = await run(() =>
    startLoader({ request: new Request(url, { headers: { Cookie: jar.header(url) } }), params: {}, context }),
  )
  expect(response.status).toBe(302)
  jar.store(url, response)
  return response.headers.get('Location')!
}

/** Signs in at the provider's own login form as `login`; returns the callback address it sends the browser to. */
async function loginAtProvider(jar: CookieJar, authorizationUrl: string, login: string): Promise<string> {
  let url = authorizationUrl
  for (let step = 0; step < 10; step++) {
    const response = await jar.fetch(url)
    if (response.status >= 300 && response.status < 400) {
      const next = new URL(response.headers.get('Location')!, url).href
      if (next.startsWith(REDIRECT)) return next
      url = next
      continue
    }
    const html = await response.text()
    expect(response.status, html).toBe(200)
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1]
    expect(action, html).toBeTruthy()
    const posted = await jar.fetch(new URL(action!, url).href, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ prompt: 'login', login, password: 'any password' }),
    })
    expect(posted.status).toBe(303)
    url = new URL(posted.headers.get('Location')!, url).href
  }
  throw new Error('the provider never sent the browser back')
}

/** The ledger's callback as this jar's browser. */
async function callback(jar: CookieJar, callbackUrl: string): Promise<Response> {
  const response = await run(() =>
    callbackLoader({ request: new Request(callbackUrl, { headers: { Cookie: jar.header(callbackUrl) } }), params: {}, context }),
  )
  jar.store(callbackUrl, response)
  return response
}

async function signInAs(login: string, redirectTo = '/'): Promise<{ jar: CookieJar; response: Response; callbackUrl: string }> {
  const jar = new CookieJar()
  const callbackUrl = await loginAtProvider(jar, await start(jar, redirectTo), login)
  return { jar, response: await callback(jar, callbackUrl), callbackUrl }
}

const sessionOf = (jar: CookieJar) =>
  readSession(context, new Request(`${ORIGIN}/`, { headers: { Cookie: jar.header(ORIGIN) } }), { touch: false })

const lastSignIn = () => t.db('access_log').where({ action: 'sign_in' }).orderBy('id', 'desc').first()

async function userPractices(userId: number): Promise<string[]> {
  const rows = await t
    .db('user_practices as up')
    .join('practices as p', 'p.id', 'up.practice_id')
    .where('up.user_id', userId)
    .orderBy('p.ods_code')
  return rows.map((r) => r.ods_code)
}

describe('sign-in with NHS Care Identity (OpenID Connect)', () => {
  it('offers the button on the sign-in page beside the password form', async () => {
    const data = await (await run(() => loginLoader({ request: new Request(`${ORIGIN}/login`), params: {}, context }))).json()
    expect(data).toEqual({ nhsCareIdentity: true, passwords: true })
  })

  it('sends the browser to the provider with PKCE (S256), a state and a nonce, kept server-side for this browser', async () => {
    const jar = new CookieJar()
    const url = new URL(await start(jar, '/disclosures'))
    expect(url.origin).toBe(provider.issuer)
    expect(url.searchParams.get('response_type')).toBe('code')
    expect(url.searchParams.get('client_id')).toBe('sharing-ledger-test')
    expect(url.searchParams.get('redirect_uri')).toBe(REDIRECT)
    expect(url.searchParams.get('code_challenge_method')).toBe('S256')
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(url.searchParams.get('scope')).toBe('openid profile email nationalrbacaccess selectedrole')
    const flow = await t
      .db('oidc_sign_in_flows')
      .where({ state: url.searchParams.get('state') })
      .first()
    expect(flow).toMatchObject({ nonce: url.searchParams.get('nonce'), redirect_to: '/disclosures' })
    // The flow cookie: httpOnly, SameSite=Lax, only for /auth/oidc, short-lived.
    expect(jar.header(`${ORIGIN}/auth/oidc/callback`)).toMatch(/^__ledger_oidc=/)
  })

  it('signs a Caldicott guardian in: role and practice from the selected CIS2 role, subject stored, no password, same session as a password', async () => {
    const { jar, response } = await signInAs('guardian', '/overrides')
    expect(response.status).toBe(302)
    expect(response.headers.get('Location')).toBe('/overrides')
    const session = await sessionOf(jar)
    expect(session).not.toBeNull()
    const user = await t.db('users').where({ id: session!.userId }).first()
    expect(user).toMatchObject({
      email: 'grace.guardian@nhs.net',
      display_name: 'Dr Grace Guardian',
      role: 'caldicott_guardian',
      oidc_issuer: provider.issuer,
      oidc_subject: 'guardian',
      password_hash: null,
    })
    expect(await userPractices(user.id)).toEqual(['A81001'])
    // /admin/users says how each user signs in.
    const listed = await listUsers(t.db, { practiceIds: Object.values(practiceIds) })
    expect(listed.find((u) => u.id === user.id)?.signsInWith).toBe('nhs_care_identity')
    const row = await t.db('sessions').where({ user_id: user.id }).first()
    expect(row.oidc_id_token).toMatch(/^ey/)
    expect(await lastSignIn()).toMatchObject({
      user_id: user.id,
      outcome: 'ok',
      detail: expect.objectContaining({
        method: 'oidc',
        role: 'caldicott_guardian',
        role_code: 'S0080:G0450:R5105',
        org_code: 'A81001',
        created: true,
      }),
    })
    // The flow was used up, and the password form cannot sign this user in (they have none).
    expect(await t.db('oidc_sign_in_flows').where({ redirect_to: '/overrides' }).first()).toBeUndefined()
    const password = await run(() =>
      loginAction({
        request: new Request(`${ORIGIN}/login`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: ORIGIN },
          body: new URLSearchParams({ email: 'grace.guardian@nhs.net', password: TEST_PASSWORD }),
        }),
        params: {},
        context,
      }),
    )
    expect(password.status).toBe(401)
  })

  it('signs the same person in again as the same user (matched by subject), not a second one', async () => {
    const before = await t.db('users').where({ oidc_subject: 'guardian' }).select('id')
    const { response } = await signInAs('guardian')
    expect(response.status).toBe(302)
    const after = await t.db('users').where({ oidc_subject: 'guardian' }).select('id')
    expect(after).toEqual(before)
    expect(await lastSignIn()).toMatchObject({ detail: expect.objectContaining({ created: false }) })
  })

  it('uses only the selected role of a person with several: the manager role at A81002, not the receptionist role at A81001', async () => {
    const { jar, response } = await signInAs('manager')
    expect(response.status).toBe(302)
    const user = await t
      .db('users')
      .where({ id: (await sessionOf(jar))!.userId })
      .first()
    expect(user.role).toBe('practice_manager')
    expect(await userPractices(user.id)).toEqual(['A81002'])
  })

  it('maps an organisation that is not a practice (a PCN) to the practices it covers, and keeps a user without e-mail unmailed', async () => {
    const { jar, response } = await signInAs('pcn-auditor')
    expect(response.status).toBe(302)
    const user = await t
      .db('users')
      .where({ id: (await sessionOf(jar))!.userId })
      .first()
    expect(user).toMatchObject({ role: 'auditor', email: 'pcn-auditor@cis2.invalid' })
    expect(await userPractices(user.id)).toEqual(['A81001', 'A81002'])
    expect((await listMailRecipients(t.db)).map((r) => r.userId)).not.toContain(user.id)
  })

  it('refuses an unmapped role with a page that says why, logs it, and creates no user and no session', async () => {
    const { jar, response } = await signInAs('receptionist')
    expect(response.status).toBe(403)
    const data = await response.json()
    expect(data.title).toBe('You cannot sign in to Sharing Ledger with this role')
    expect(data.message).toContain('Receptionist (S8000:G8000:R8009) at organisation A81001')
    expect(data.message).toContain('no role is given by default')
    expect(await sessionOf(jar)).toBeNull()
    expect(await t.db('users').where({ oidc_subject: 'receptionist' }).first()).toBeUndefined()
    expect(await lastSignIn()).toMatchObject({
      user_id: null,
      actor: 'rae.reception@nhs.net',
      outcome: 'denied',
      detail: expect.objectContaining({ method: 'oidc', reason: 'unmapped_role', role_code: 'S8000:G8000:R8009' }),
    })
  })

  it('refuses a mapped role at an organisation the ledger does not know', async () => {
    const { jar, response } = await signInAs('elsewhere')
    expect(response.status).toBe(403)
    const data = await response.json()
    expect(data.message).toContain('organisation RXX, which is not a practice Sharing Ledger holds')
    expect(await sessionOf(jar)).toBeNull()
    expect(await t.db('users').where({ oidc_subject: 'elsewhere' }).first()).toBeUndefined()
    expect(await lastSignIn()).toMatchObject({
      outcome: 'denied',
      detail: expect.objectContaining({ reason: 'unknown_organisation', org_code: 'RXX' }),
    })
  })

  it('refuses a person with several roles and none selected, rather than choose for them', async () => {
    const { response } = await signInAs('undecided')
    expect(response.status).toBe(403)
    expect((await response.json()).message).toContain('more than one role')
    expect(await lastSignIn()).toMatchObject({ outcome: 'denied', detail: expect.objectContaining({ reason: 'no_selected_role' }) })
  })

  it('refuses a tampered state', async () => {
    const jar = new CookieJar()
    const callbackUrl = new URL(await loginAtProvider(jar, await start(jar), 'guardian'))
    callbackUrl.searchParams.set('state', 'attacker-chosen-state')
    const response = await callback(jar, callbackUrl.href)
    expect(response.status).toBe(400)
    expect((await response.json()).title).toBe('The sign-in could not be completed')
    expect(await sessionOf(jar)).toBeNull()
    expect(await lastSignIn()).toMatchObject({
      outcome: 'failed',
      detail: expect.objectContaining({ method: 'oidc', reason: expect.stringMatching(/state/) }),
    })
  })

  it('refuses a replayed callback (the flow is used up) and a replayed code under a fresh flow (the provider refuses it)', async () => {
    const { jar, response, callbackUrl } = await signInAs('guardian')
    expect(response.status).toBe(302)
    // The same answer again, with the same cookie: nothing in progress for this browser any more.
    const replayed = await callback(jar, callbackUrl)
    expect(replayed.status).toBe(400)
    expect((await replayed.json()).title).toBe('This sign-in has expired')
    // An attacker's own fresh flow, with the stolen code spliced in under the fresh state.
    const attacker = new CookieJar()
    const fresh = new URL(await start(attacker))
    const spliced = new URL(callbackUrl)
    spliced.searchParams.set('state', fresh.searchParams.get('state')!)
    const stolen = await callback(attacker, spliced.href)
    expect(stolen.status).toBe(400)
    expect(await sessionOf(attacker)).toBeNull()
    expect(await lastSignIn()).toMatchObject({
      outcome: 'failed',
      detail: expect.objectContaining({ reason: expect.stringMatching(/invalid_grant/) }),
    })
  })

  it('refuses a callback arriving in another browser (no flow cookie): a sign-in cannot be planted on someone', async () => {
    const jar = new CookieJar()
    const callbackUrl = await loginAtProvider(jar, await start(jar), 'guardian')
    const victim = new CookieJar()
    const response = await callback(victim, callbackUrl)
    expect(response.status).toBe(400)
    expect(await sessionOf(victim)).toBeNull()
  })

  it('checks PKCE: a flow whose verifier does not match the challenge sent is refused by the provider', async () => {
    const jar = new CookieJar()
    const authorizationUrl = await start(jar)
    const state = new URL(authorizationUrl).searchParams.get('state')!
    await t
      .db('oidc_sign_in_flows')
      .where({ state })
      .update({ code_verifier: 'x'.repeat(43) })
    const response = await callback(jar, await loginAtProvider(jar, authorizationUrl, 'guardian'))
    expect(response.status).toBe(400)
    expect(await sessionOf(jar)).toBeNull()
    expect(await lastSignIn()).toMatchObject({
      outcome: 'failed',
      detail: expect.objectContaining({ reason: expect.stringMatching(/invalid_grant/) }),
    })
  })

  it('checks the nonce: an ID token minted for another nonce is refused', async () => {
    const jar = new CookieJar()
    const authorizationUrl = await start(jar)
    const state = new URL(authorizationUrl).searchParams.get('state')!
    await t.db('oidc_sign_in_flows').where({ state }).update({ nonce: 'a-different-nonce' })
    const response = await callback(jar, await loginAtProvider(jar, authorizationUrl, 'guardian'))
    expect(response.status).toBe(400)
    expect(await sessionOf(jar)).toBeNull()
    expect(await lastSignIn()).toMatchObject({
      outcome: 'failed',
      detail: expect.objectContaining({ reason: expect.stringMatching(/nonce/) }),
    })
  })

  it('refuses a disabled user, and follows a role change at the provider for an enabled one', async () => {
    const { jar } = await signInAs('manager')
    const userId = (await sessionOf(jar))!.userId
    await t.db('users').where({ id: userId }).update({ disabled_at: new Date() })
    const refused = await signInAs('manager')
    expect(refused.response.status).toBe(403)
    expect((await refused.response.json()).message).toContain('disabled')
    await t.db('users').where({ id: userId }).update({ disabled_at: null, role: 'admin' })
    await t.db('user_practices').where({ user_id: userId }).delete()
    const again = await signInAs('manager')
    expect(again.response.status).toBe(302)
    expect(await t.db('users').where({ id: userId }).first()).toMatchObject({ role: 'practice_manager' })
    expect(await userPractices(userId)).toEqual(['A81002'])
  })

  it('does not take over a password account that holds the same e-mail address', async () => {
    const taken = new CookieJar()
    // Someone already signs in with a password as the address the provider sends for "elsewhere"-like users.
    await createUser(t.db, { email: 'Una@nhs.net', password: TEST_PASSWORD, role: 'auditor', practiceIds: [practiceIds.A81001!] })
    const accounts = {
      una: {
        name: 'Una Decided',
        email: 'una@nhs.net',
        roles: [{ person_roleid: '1', org_code: 'A81001', role_code: 'R5105', role_name: 'CG' }],
      },
    }
    const other = await startTestProvider({ redirectUri: REDIRECT, postLogoutRedirectUri: `${ORIGIN}/login?signedOut=1`, accounts })
    const saved = context
    try {
      context = { ...context, config: oidcTestConfig(t.url, other.issuer, REDIRECT) }
      const response = await callback(taken, await loginAtProvider(taken, await start(taken), 'una'))
      expect(response.status).toBe(403)
      expect((await response.json()).message).toContain('already has the e-mail address una@nhs.net')
      expect(await t.db('users').whereRaw('lower(email) = ?', ['una@nhs.net']).select('oidc_subject')).toEqual([{ oidc_subject: null }])
    } finally {
      context = saved
      await other.close()
    }
  })

  it('logs out locally and at the provider (RP-initiated logout), back to the sign-in page', async () => {
    const { jar } = await signInAs('guardian')
    const session = (await sessionOf(jar))!
    const request = new Request(`${ORIGIN}/logout`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: ORIGIN, Cookie: jar.header(ORIGIN) },
      body: new URLSearchParams({ csrf: session.csrf }),
    })
    const response = await run(() => logoutAction({ request, params: {}, context }))
    expect(response.status).toBe(302)
    jar.store(ORIGIN, response)
    const endSession = new URL(response.headers.get('Location')!)
    expect(endSession.origin).toBe(provider.issuer)
    expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(`${ORIGIN}/login?signedOut=1`)
    expect(endSession.searchParams.get('id_token_hint')).toMatch(/^ey/)
    // Ended here at once, whatever happens at the provider; the ID token is forgotten.
    expect(await sessionOf(jar)).toBeNull()
    const row = await t.db('sessions').where({ user_id: session.userId }).whereNotNull('ended_at').orderBy('ended_at', 'desc').first()
    expect(row).toMatchObject({ ended_reason: 'signed out', oidc_id_token: null })
    // At the provider: its confirmation form, then back to our sign-in page.
    const page = await jar.fetch(endSession.href)
    const html = await page.text()
    expect(page.status, html).toBe(200)
    const form =
      /<form[^>]*id="op.logoutForm"[^>]*action="([^"]+)"/.exec(html) ?? /<form[^>]*action="([^"]+)"[^>]*id="op.logoutForm"/.exec(html)
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)?.[1]
    expect(form && xsrf, html).toBeTruthy()
    const confirmed = await jar.fetch(new URL(form![1]!, endSession).href, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ xsrf: xsrf!, logout: 'yes' }),
    })
    expect(confirmed.status).toBe(303)
    expect(confirmed.headers.get('Location')).toBe(`${ORIGIN}/login?signedOut=1`)
  })

  it('with passwords turned off, offers no password form and refuses a password post, logging it', async () => {
    const off = { ...context, config: oidcTestConfig(t.url, provider.issuer, REDIRECT, { PASSWORD_SIGN_IN: 'off' }) }
    await createUser(t.db, {
      email: 'pw.user@example.nhs.uk',
      password: TEST_PASSWORD,
      role: 'auditor',
      practiceIds: [practiceIds.A81001!],
    })
    const page = await (await run(() => loginLoader({ request: new Request(`${ORIGIN}/login`), params: {}, context: off }))).json()
    expect(page).toEqual({ nhsCareIdentity: true, passwords: false })
    const response = await run(() =>
      loginAction({
        request: new Request(`${ORIGIN}/login`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: ORIGIN },
          body: new URLSearchParams({ email: 'pw.user@example.nhs.uk', password: TEST_PASSWORD }),
        }),
        params: {},
        context: off,
      }),
    )
    expect(response.status).toBe(403)
    expect((await response.json()).message).toBe('Signing in with a password is turned off here. Sign in with NHS Care Identity.')
    expect(response.headers.get('Set-Cookie')).toBeNull()
    expect(await lastSignIn()).toMatchObject({
      actor: 'pw.user@example.nhs.uk',
      outcome: 'denied',
      detail: expect.objectContaining({ method: 'password', reason: expect.stringContaining('PASSWORD_SIGN_IN=off') }),
    })
  })

  it('has no sign-in with a provider when OIDC is not configured: both addresses are a 404, the page offers passwords only', async () => {
    const plain = { ...context, config: { ...context.config, oidc: null } }
    for (const [loader, path] of [
      [startLoader, '/auth/oidc/start'],
      [callbackLoader, '/auth/oidc/callback?code=x&state=y'],
    ] as const) {
      expect((await run(() => loader({ request: new Request(`${ORIGIN}${path}`), params: {}, context: plain }))).status).toBe(404)
    }
    const page = await (await run(() => loginLoader({ request: new Request(`${ORIGIN}/login`), params: {}, context: plain }))).json()
    expect(page).toEqual({ nhsCareIdentity: false, passwords: true })
  })

  it('says plainly when the provider cannot be reached, instead of a 500', async () => {
    const down = { ...context, config: oidcTestConfig(t.url, 'http://127.0.0.1:9', REDIRECT) }
    const url = `${ORIGIN}/auth/oidc/start`
    const response = await run(() => startLoader({ request: new Request(url), params: {}, context: down }))
    expect(response.status).toBe(503)
    expect((await response.json()).title).toBe('NHS Care Identity cannot be reached')
  })
})
