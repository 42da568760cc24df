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
    const user = await createUser(t.db, { email: 'Guardian@Example.nhs.uk', password: TEST_PASSWORD, role: 'caldicott_guardian', practiceIds: [practice.id] })
    const response = await respond(() => loginAction({ request: signInRequest('guardian@example.nhs.uk', TEST_PASSWORD), params: {}, context }))
    expect(response.status).toBe(302)
    expect(response.headers.get('Location')).toBe('/disclosures')
    const cookie = response.headers.get('Set-Cookie')!
    expect(cookie).toMatch(/HttpOnly/i)
    expect(cookie).toMatch(/SameSite=Lax/i)
    expect(await t.db('access_log').where({ user_id: user.id, action: 'sign_in' }).first()).toMatchObject({ outcome: 'ok', ip: '127.0.0.1' })
  })

  it('refuses a wrong password with the same words as an unknown account, and logs both', async () => {
    const context = loadContext(t)
    const wrong = await respond(() => loginAction({ request: signInRequest('guardian@example.nhs.uk', 'not the password'), params: {}, context }))
    const unknown = await respond(() => loginAction({ request: signInRequest('nobody@example.nhs.uk', 'whatever it is'), params: {}, context }))
    expect(wrong.status).toBe(401)
    expect(await wrong.json()).toEqual(await unknown.json())
    const failures = await t.db('access_log').where({ action: 'sign_in', outcome: 'failed' }).orderBy('id').select('actor')
    expect(failures.map((f) => f.actor)).toEqual(['guardian@example.nhs.uk', 'nobody@example.nhs.uk'])
  })

  it('locks the account after five failures in a row, even against the right password', async () => {
    const context = loadContext(t)
    for (let i = 0; i < 4; i++) await loginAction({ request: signInRequest('guardian@example.nhs.uk', `wrong ${i}`), params: {}, context })
    const locked = await respond(() => loginAction({ request: signInRequest('guardian@example.nhs.uk', TEST_PASSWORD), params: {}, context }))
    expect(locked.status).toBe(401)
    expect((await locked.json()).message).toMatch(/locked/)
    expect(await t.db('access_log').where({ action: 'sign_in', outcome: 'denied' }).count('* as n').first()).toEqual({ n: 1 })
  })

  it('refuses a sign-in form posted from another site', async () => {
    const response = await respond(() => loginAction({ request: signInRequest('x@example.nhs.uk', 'y', 'https://evil.example'), params: {}, context: loadContext(t) }))
    expect(response.status).toBe(403)
  })

  it('only redirects within this site after sign-in', () => {
    expect(safeRedirect('/overrides?x=1')).toBe('/overrides?x=1')
    expect(safeRedirect('//evil.example/')).toBe('/')
    expect(safeRedirect('https://evil.example/')).toBe('/')
    expect(safeRedirect(null)).toBe('/')
  })
})

describe('state-changing requests', () => {
  it('need the session’s anti-forgery token and our own Origin (sign-out as the example)', async () => {
    const context = loadContext(t)
    const user = await signedInUser(context, 'auditor', ['A81001'])
    const noToken = await respond(() => logoutAction({ request: post('/logout', user, {}, { csrf: null }), params: {}, context }))
    expect(noToken.status).toBe(403)
    const wrongToken = await respond(() => logoutAction({ request: post('/logout', user, {}, { csrf: 'x'.repeat(user.csrf.length) }), params: {}, context }))
    expect(wrongToken.status).toBe(403)
    const foreign = await respond(() => logoutAction({ request: post('/logout', user, {}, { origin: 'https://evil.example' }), params: {}, context }))
    expect(foreign.status).toBe(403)
    expect(await t.db('access_log').where({ user_id: user.id, action: 'csrf_refused' }).count('* as n').first()).toEqual({ n: 3 })
    const ok = await respond(() => logoutAction({ request: post('/logout', user, {}), params: {}, context }))
    expect(ok.status).toBe(302)
    expect(ok.headers.get('Set-Cookie')).toMatch(/Max-Age=0|Expires=Thu, 01 Jan 1970/)
    expect(await t.db('access_log').where({ user_id: user.id, action: 'sign_out' }).count('* as n').first()).toEqual({ n: 1 })
  })
})
