import { describe, expect, it } from 'vitest'
import { getViewer } from '../../../app/lib/access.server.js'
import { get, loadContext, signedInUser } from '../../support/app.js'
import { useTestDatabase } from '../../support/db.js'

// server.ts gives each HTTP request a fresh viewerMemo, so the root and page loaders look the
// signed-in user up once; a context without one (a new request) always reads the database.

const t = useTestDatabase()

describe('the signed-in viewer, once per request', () => {
  it('is looked up once within a request and afresh for the next', async () => {
    const context = loadContext(t)
    const user = await signedInUser(context, 'practice_manager', ['A81001'])
    const request = { ...context, viewerMemo: new Map() }
    let queries = 0
    const count = () => queries++
    t.db.on('query', count)
    try {
      const first = await getViewer(get('/', user), request)
      const afterFirst = queries
      const second = await getViewer(get('/disclosures', user), request)
      expect(afterFirst).toBeGreaterThan(0)
      expect(queries).toBe(afterFirst)
      expect(second).toBe(first)
      expect(first).toMatchObject({ id: user.id, role: 'practice_manager', practices: [expect.objectContaining({ odsCode: 'A81001' })] })
    } finally {
      t.db.removeListener('query', count)
    }

    // Disabled between requests: the next request (a new memo, or none) no longer sees them.
    await t.db('users').where({ id: user.id }).update({ disabled_at: new Date() })
    expect(await getViewer(get('/', user), { ...context, viewerMemo: new Map() })).toBeNull()
    expect(await getViewer(get('/', user), context)).toBeNull()
    // An anonymous request in the same memo is its own entry, not the user's.
    expect(await getViewer(get('/'), request)).toBeNull()
  })

  it('is read with its practices in one query: their own by ODS code, or every practice for an administrator', async () => {
    const context = loadContext(t)
    const manager = await signedInUser(context, 'practice_manager', ['C81009', 'A81003'])
    const admin = await signedInUser(context, 'admin', [])
    const everyOds = (await t.db('practices').orderBy('ods_code').select('ods_code')).map((p) => p.ods_code as string)
    expect(everyOds.length).toBeGreaterThan(2)
    let queries = 0
    const count = () => queries++
    t.db.on('query', count)
    try {
      const viewer = await getViewer(get('/', manager), { ...context, viewerMemo: new Map() })
      expect(queries).toBe(1)
      expect(viewer?.practices.map((p) => p.odsCode)).toEqual(['A81003', 'C81009'])
      expect(viewer?.practices[0]).toEqual({ id: expect.any(Number), odsCode: 'A81003', name: expect.any(String) })
      expect(viewer).toMatchObject({ id: manager.id, email: manager.email, role: 'practice_manager', displayName: 'Test practice_manager' })
      const adminViewer = await getViewer(get('/', admin), { ...context, viewerMemo: new Map() })
      expect(adminViewer?.practices.map((p) => p.odsCode)).toEqual(everyOds)
    } finally {
      t.db.removeListener('query', count)
    }
  })
})
