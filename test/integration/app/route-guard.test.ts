import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { get, loadContext, post, respond, signedInUser } from '../../support/app.js'
import { useTestDatabase } from '../../support/db.js'

// A sweep over every route file: whatever a page does, a visitor who is not signed in gets
// nothing but the way to the sign-in page. A new route that forgets requireAccess fails here.

const t = useTestDatabase()
const ROUTES = path.resolve(import.meta.dirname, '../../../app/routes')
// The sign-in with NHS Care Identity happens before there is a session (404 unless configured;
// test/integration/app/oidc-sign-in.test.ts).
const PUBLIC = new Set(['login.tsx', 'healthz.ts', 'auth.oidc.start.tsx', 'auth.oidc.callback.tsx'])
const routeFiles = fs.readdirSync(ROUTES).filter((f) => !PUBLIC.has(f))
/** Action-only addresses whose GET just redirects elsewhere, reading nothing. */
const GET_REDIRECTS = new Set(['logout.ts', 'jobs.sources.$id.run.ts', 'reports.download.ts'])

/** The URL a route file answers, with 1 for every parameter (flat-routes naming). */
function urlOf(file: string): string {
  const name = file.replace(/\.(tsx|ts)$/, '').replace(/\[\.\]/g, '\u0000')
  const segments = name
    .split('.')
    .filter((s) => s !== '_index')
    .map((s) => (s.startsWith('$') ? '1' : s))
  // eslint-disable-next-line no-control-regex -- a NUL holds each escaped dot ([.]) while the name is split on dots
  return `/${segments.join('/')}`.replace(/\u0000/g, '.').replace(/\/$/, '') || '/'
}

describe('every route', () => {
  it.each(routeFiles)('%s sends a visitor who is not signed in to sign in', async (file) => {
    const mod = await import(path.join(ROUTES, file))
    const url = urlOf(file)
    const params = { id: '1' }
    const context = loadContext(t)
    if (mod.loader) {
      const response = await respond(() => mod.loader({ request: get(url), params, context }))
      expect(response.status, url).toBe(302)
      if (!GET_REDIRECTS.has(file)) expect(response.headers.get('Location'), url).toMatch(/^\/login\?redirectTo=/)
    }
    if (mod.action) {
      const response = await respond(() => mod.action({ request: post(url, undefined, {}), params, context }))
      expect(response.status, url).toBe(302)
      expect(response.headers.get('Location'), url).toMatch(/^\/login\?redirectTo=/)
    }
    expect(mod.loader || mod.action).toBeTruthy()
  })

  it('admin pages refuse every other role', async () => {
    const context = loadContext(t)
    for (const role of ['caldicott_guardian', 'practice_manager', 'auditor'] as const) {
      const user = await signedInUser(context, role, ['A81001'])
      for (const file of routeFiles.filter((f) => f.startsWith('admin'))) {
        const mod = await import(path.join(ROUTES, file))
        const response = await respond(() => mod.loader({ request: get(urlOf(file), user), params: {}, context }))
        expect(response.status, `${role} ${file}`).toBe(403)
      }
    }
  })
})
