import crypto from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { action as loginAction } from '../../../app/routes/login.js'
import { action as logoutAction } from '../../../app/routes/logout.js'
import { safeRedirect } from '../../../app/lib/auth.server.js'
import { createUser } from '../../../db/queries/users.js'
import { ensurePractice } from '../../../db/queries/practices.js'
import { ORIGIN, TEST_PASSWORD, loadContext, post, respond, signedInUser } from '../../support/app.js'
import { useTestDatabase } from '../../support/db.js'

const t = useTestDatabase()

const signInRequest = (email: string, password: string, origin = ORIGIN) =>
  new Request(`${ORIGIN}/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: origin },
    body: new URLSearchParams({ email, password, redirectTo: '/disclosures' }),
  })

describe('sign-in', () => {
  it('signs in with the right password into an httpOnly, SameSite session and logs it', async () => {
    const context = loadContext(t)
    const practice = await ensurePractice(t.db, { odsCode: 'A81001' })
    const user = await createUser(t.db, {
      email: 'Guardian@Example.nhs.uk',
      password: TEST_PASSWORD,
      role: 'caldicott_guardian',
      practiceIds: [practice.id],
    })
    const response = await respond(() =>
      loginAction({ request: signInRequest('guardian@example.nhs.uk', TEST_PASSWORD), params: {}, context }),
    )
    expect(response.status).toBe(302)
    expect(response.headers.get('Location')).toBe('/disclosures')
    const cookie = response.headers.get('Set-Cookie')!
    expect(cookie).toMatch(/HttpOnly/i)
    expect(cookie).toMatch(/SameSite=Lax/i)
    expect(await t.db('access_log').where({ user_id: user.id, action: 'sign_in' }).first()).toMatchObject({
      outcome: 'ok',
      ip: '127.0.0.1',
    })
  })

  it('refuses a wrong password with the same words as an unknown account, and logs both', async () => {
    const context = loadContext(t)
    const wrong = await respond(() =>
      loginAction({ request: signInRequest('guardian@example.nhs.uk', 'not the password'), params: {}, context }),
    )
    const unknown = await respond(() =>
      loginAction({ request: signInRequest('nobody@example.nhs.uk', 'whatever it is'), params: {}, context }),
    )
    expect(wrong.status).toBe(401)
    expect(await wrong.json()).toEqual(await unknown.json())
    const failures = await t.db('access_log').where({ action: 'sign_in', outcome: 'failed' }).orderBy('id').select('actor')
    expect(failures.map((f) => f.actor)).toEqual(['guardian@example.nhs.uk', 'nobody@example.nhs.uk'])
  })

  it('slows guessing at one account after five free failures, says the same words, and never locks the real user out (finding 9)', async () => {
    await t.db('sign_in_throttle').delete()
    const context = loadContext(t)
    const attempt = (password: string) =>
      respond(() => loginAction({ request: signInRequest('guardian@example.nhs.uk', password), params: {}, context }))
    const first = await attempt('wrong 0')
    const message = (await first.json()).message
    for (let i = 1; i < 6; i++) expect((await attempt(`wrong ${i}`)).status).toBe(401)
    // The sixth failure asks for a wait: even the right password is not considered until then,
    // and the answer is the very same sentence (it does not say "locked", or that the account exists).
    const slowed = await attempt(TEST_PASSWORD)
    expect(slowed.status).toBe(429)
    expect((await slowed.json()).message).toBe(message)
    const unknownSlowed = await respond(() => loginAction({ request: signInRequest('nobody@example.nhs.uk', 'x'), params: {}, context }))
    expect((await unknownSlowed.json()).message).toBe(message)
    const row = await t.db('sign_in_throttle').where({ key: 'account:guardian@example.nhs.uk' }).first()
    const waitSeconds = (row.next_attempt_at.getTime() - Date.now()) / 1000
    expect(waitSeconds).toBeGreaterThan(0)
    expect(waitSeconds).toBeLessThanOrEqual(60)
    // However many failures pile up, the wait is capped at a minute.
    await t.db('sign_in_throttle').where({ key: row.key }).update({ failures: 10_000 })
    await t
      .db('sign_in_throttle')
      .where({ key: row.key })
      .update({ next_attempt_at: t.db.raw("now() - interval '1 second'") })
    await attempt('wrong again')
    const capped = await t.db('sign_in_throttle').where({ key: row.key }).first()
    expect((capped.next_attempt_at.getTime() - Date.now()) / 1000).toBeLessThanOrEqual(60)
    // When the wait has passed, the real user gets in (no lock-out), and the counts are cleared.
    await t.db('sign_in_throttle').update({ next_attempt_at: t.db.raw("now() - interval '1 second'") })
    expect((await attempt(TEST_PASSWORD)).status).toBe(302)
    expect(await t.db('sign_in_throttle').where({ key: row.key }).first()).toBeUndefined()
    expect(await t.db('access_log').where({ action: 'sign_in', outcome: 'denied' }).count('* as n').first()).toEqual({ n: 1 })
  })

  it('slows one address guessing across many accounts', async () => {
    await t.db('sign_in_throttle').delete()
    const context = { ...loadContext(t), ip: '203.0.113.9' }
    const attempt = (email: string) => respond(() => loginAction({ request: signInRequest(email, 'guess'), params: {}, context }))
    for (let i = 0; i < 11; i++) expect((await attempt(`person${i}@example.nhs.uk`)).status).toBe(401)
    expect((await attempt('someone.new@example.nhs.uk')).status).toBe(429)
    // Another address is not slowed by this one.
    const elsewhere = await respond(() =>
      loginAction({
        request: signInRequest('guardian@example.nhs.uk', TEST_PASSWORD),
        params: {},
        context: { ...context, ip: '198.51.100.7' },
      }),
    )
    expect(elsewhere.status).toBe(302)
  })

  it('refuses an over-long password without hashing it, and answers a disabled account like any other failure', async () => {
    await t.db('sign_in_throttle').delete()
    const context = loadContext(t)
    const long = await respond(() =>
      loginAction({ request: signInRequest('guardian@example.nhs.uk', 'x'.repeat(257)), params: {}, context }),
    )
    expect(long.status).toBe(401)
    const practice = await ensurePractice(t.db, { odsCode: 'A81001' })
    await createUser(t.db, { email: 'gone@example.nhs.uk', password: TEST_PASSWORD, role: 'auditor', practiceIds: [practice.id] })
    await t.db('users').where({ email: 'gone@example.nhs.uk' }).update({ disabled_at: t.db.fn.now() })
    const disabled = await respond(() => loginAction({ request: signInRequest('gone@example.nhs.uk', TEST_PASSWORD), params: {}, context }))
    expect(disabled.status).toBe(401)
    expect((await disabled.json()).message).toBe((await long.json()).message)
    const reasons = await t
      .db('access_log')
      .where({ action: 'sign_in', outcome: 'failed' })
      .whereIn('actor', ['guardian@example.nhs.uk', 'gone@example.nhs.uk'])
      .orderBy('id', 'desc')
      .limit(2)
      .pluck('detail')
    expect(reasons.map((d) => d.reason)).toEqual(['account disabled', 'password longer than allowed'])
  })

  it('re-hashes a password stored with weaker scrypt parameters when its owner signs in', async () => {
    await t.db('sign_in_throttle').delete()
    const salt = crypto.randomBytes(16)
    const weak = crypto.scryptSync(TEST_PASSWORD, salt, 32, { N: 2 ** 14, r: 8, p: 1 })
    const practice = await ensurePractice(t.db, { odsCode: 'A81001' })
    const user = await createUser(t.db, {
      email: 'old.hash@example.nhs.uk',
      password: 'placeholder password',
      role: 'auditor',
      practiceIds: [practice.id],
    })
    await t
      .db('users')
      .where({ id: user.id })
      .update({ password_hash: `scrypt$16384$8$1$${salt.toString('base64')}$${weak.toString('base64')}` })
    const response = await respond(() =>
      loginAction({ request: signInRequest('old.hash@example.nhs.uk', TEST_PASSWORD), params: {}, context: loadContext(t) }),
    )
    expect(response.status).toBe(302)
    const stored = (await t.db('users').where({ id: user.id }).first()).password_hash as string
    expect(stored).toMatch(/^scrypt\$32768\$8\$3\$/)
  })

  it('refuses a sign-in form posted from another site', async () => {
    const response = await respond(() =>
      loginAction({ request: signInRequest('x@example.nhs.uk', 'y', 'https://evil.example'), params: {}, context: loadContext(t) }),
    )
    expect(response.status).toBe(403)
  })

  it('only redirects within this site after sign-in', () => {
    expect(safeRedirect('/overrides?x=1')).toBe('/overrides?x=1')
    expect(safeRedirect('//evil.example/')).toBe('/')
    expect(safeRedirect('https://evil.example/')).toBe('/')
    expect(safeRedirect(null)).toBe('/')
    // The known bypasses (finding 4): browsers drop tabs and newlines and read "\\" as "/".
    for (const bypass of [
      '/\\evil.example/',
      '/%09/evil.example',
      '/\t/evil.example',
      '/\n/evil.example',
      '/%2F/evil.example',
      '/%5C/evil.example',
      '\\/evil.example',
      '/ /evil.example',
      'javascript:alert(1)',
      '/\\\\evil.example',
    ]) {
      const target = safeRedirect(bypass)
      expect(new URL(target, 'https://ledger.example').origin, bypass).toBe('https://ledger.example')
      expect(target.startsWith('//') || target.startsWith('/\\'), bypass).toBe(false)
    }
  })
})

describe('state-changing requests', () => {
  it('need the session’s anti-forgery token and our own Origin (sign-out as the example)', async () => {
    const context = loadContext(t)
    const user = await signedInUser(context, 'auditor', ['A81001'])
    const noToken = await respond(() => logoutAction({ request: post('/logout', user, {}, { csrf: null }), params: {}, context }))
    expect(noToken.status).toBe(403)
    const wrongToken = await respond(() =>
      logoutAction({ request: post('/logout', user, {}, { csrf: 'x'.repeat(user.csrf.length) }), params: {}, context }),
    )
    expect(wrongToken.status).toBe(403)
    const foreign = await respond(() =>
      logoutAction({ request: post('/logout', user, {}, { origin: 'https://evil.example' }), params: {}, context }),
    )
    expect(foreign.status).toBe(403)
    expect(await t.db('access_log').where({ user_id: user.id, action: 'csrf_refused' }).count('* as n').first()).toEqual({ n: 3 })
    const ok = await respond(() => logoutAction({ request: post('/logout', user, {}), params: {}, context }))
    expect(ok.status).toBe(302)
    expect(ok.headers.get('Set-Cookie')).toMatch(/Max-Age=0|Expires=Thu, 01 Jan 1970/)
    expect(await t.db('access_log').where({ user_id: user.id, action: 'sign_out' }).count('* as n').first()).toEqual({ n: 1 })
  })
})
