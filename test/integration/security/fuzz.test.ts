import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureOrganisation } from '../../../db/queries/organisations.js'
import { ensurePractice } from '../../../db/queries/practices.js'
import { addSource } from '../../../db/queries/sources.js'
import { createUser } from '../../../db/queries/users.js'
import { TEST_PASSWORD } from '../../support/app.js'
import { useTestDatabase } from '../../support/db.js'
import { startServerProcess, type ServerProcess } from '../../support/server-process.js'

// Issue 12: random and extreme values thrown at every page's, export's and form's parameters
// on a real server. Each answer must be one a person can act on (never 500), arrive in bounded
// time (never a hang), and the server must answer /healthz throughout.

const t = useTestDatabase()
let server: ServerProcess
const session: Record<'manager' | 'admin', { cookie: string; csrf: string }> = {} as never

const ALLOWED = new Set([200, 204, 302, 303, 400, 403, 404, 405, 413, 429])

const PAGES = [
  '/',
  '/disclosures',
  '/disclosures/list',
  '/disclosures.csv',
  '/disclosures.ndjson',
  '/disclosures/summary.csv',
  '/findings',
  '/findings.csv',
  '/findings/list',
  '/findings/list.csv',
  '/findings/case',
  '/overrides',
  '/overrides.csv',
  '/opt-outs',
  '/opt-outs.csv',
  '/jobs',
  '/jobs.csv',
  '/jobs/quarantine.csv',
  '/reports',
  '/audit-log',
  '/audit-log.csv',
  '/register',
  '/register.csv',
  '/dspt',
  '/statements',
  '/reports/progress',
  '/notifications',
  '/admin',
  '/admin/users',
  '/admin/users.csv',
  '/admin/sources',
  '/admin/sources.csv',
  '/admin/agreements',
  '/admin/agreements.csv',
  '/admin/codes',
  '/admin/codes.csv',
  '/admin/notices',
  '/promises',
  '/login',
]
const ID_PAGES = ['/disclosures/', '/findings/', '/overrides/', '/jobs/quarantine/']
const QUERY_NAMES = [
  'from',
  'to',
  'practice',
  'page',
  'qpage',
  'status',
  'severity',
  'rule',
  'key',
  'purpose',
  'recipient',
  'recipientType',
  'legalBasis',
  'source',
  'sort',
  'kind',
  'measure',
  'outcome',
  'action',
  'actor',
  'job',
  'reason',
  'system',
  'code',
  'notice',
  'id',
  'signed',
  'eventId',
  'redirectTo',
  'q',
]
// Form actions (sign-out is left out: it would end the session the sweep uses).
const FORMS: Array<{ path: string; as: 'manager' | 'admin'; fields: string[] }> = [
  { path: '/reports/download', as: 'manager', fields: ['kind', 'from', 'to', 'practice', 'eventId'] },
  { path: '/reports', as: 'manager', fields: ['file'] },
  { path: '/findings/1', as: 'manager', fields: ['intent', 'decision', 'status', 'reason', 'note'] },
  { path: '/findings/case?rule=no_agreement&key=recipient:1:research', as: 'manager', fields: ['status', 'reason'] },
  { path: '/overrides/1', as: 'manager', fields: ['intent', 'decision', 'reason', 'secondSigner', 'note'] },
  { path: '/jobs/sources/1/run', as: 'manager', fields: ['intent'] },
  { path: '/statements', as: 'manager', fields: ['practice', 'nhsNumber', 'from', 'to'] },
  { path: '/admin/users', as: 'admin', fields: ['intent', 'email', 'displayName', 'role', 'practices', 'password', 'userId'] },
  {
    path: '/admin/sources',
    as: 'admin',
    fields: ['intent', 'practice', 'newPracticeOds', 'newPracticeName', 'name', 'baseUrl', 'expectedInterval', 'token', 'sourceId'],
  },
  {
    path: '/admin/agreements',
    as: 'admin',
    fields: [
      'intent',
      'reference',
      'recipient',
      'newRecipientName',
      'newRecipientOds',
      'newRecipientType',
      'purposes',
      'practices',
      'dataLevel',
      'validFrom',
      'validTo',
    ],
  },
  { path: '/admin/codes', as: 'admin', fields: ['intent', 'system', 'code', 'purpose', 'description'] },
  { path: '/admin/notices', as: 'admin', fields: ['intent', 'practice', 'notice', 'yaml', 'validFrom'] },
]

const EXTREMES = [
  '9999-12-31',
  '+010000-01-01',
  '0000-00-00',
  '2026-02-29',
  '2024-02-29',
  '2026-02-30',
  '1970-01-01',
  '275760-09-13',
  '2026-1-1',
  '-1',
  '0',
  '1e400',
  '9007199254740993',
  'NaN',
  'Infinity',
  '0x10',
  '1.5',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  "' OR 1=1 --",
  '%00',
  '\u0000',
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '//evil.example',
  'A81001',
  'a81001',
  'B82002',
  'x'.repeat(5000),
  '😀'.repeat(300),
  ' ',
  '',
  'add',
  'disable',
  'enable',
  'generate',
  'verify',
  'audit',
  'commissioner',
  'incident',
]
const hostileValue = fc.oneof(
  fc.constantFrom(...EXTREMES),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.integer().map(String),
  fc.double().map(String),
  fc.date({ noInvalidDate: false }).map((d) => (Number.isNaN(d.getTime()) ? 'Invalid Date' : d.toISOString().slice(0, 10))),
)
// Dates are where the service once fell over: half the values sent as dates are date-like.
const dateLike = fc.oneof(
  fc.constantFrom(
    '9999-12-31',
    '9999-12-30',
    '+010000-01-01',
    '0000-01-01',
    '1999-12-31',
    '2000-01-01',
    '2026-02-29',
    '2026-02-30',
    '2026-04-31',
    '2100-01-01',
  ),
  fc.date({ min: new Date(Date.UTC(0, 0, 1)), max: new Date(8.64e15), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
)
const params = (names: string[]) => {
  const dateNames = names.filter((n) => /^(from|to|valid(From|To))$/.test(n))
  const pair =
    dateNames.length > 0
      ? fc.oneof(
          { arbitrary: fc.tuple(fc.constantFrom(...dateNames), dateLike), weight: 1 },
          { arbitrary: fc.tuple(fc.constantFrom(...names), hostileValue), weight: 2 },
        )
      : fc.tuple(fc.constantFrom(...names), hostileValue)
  return fc.array(pair, { maxLength: 6 })
}

async function call(path: string, init: RequestInit = {}): Promise<number> {
  const res = await fetch(`${server.url}${path}`, { redirect: 'manual', signal: AbortSignal.timeout(30_000), ...init })
  await res.arrayBuffer()
  return res.status
}

async function signIn(email: string) {
  const res = await fetch(`${server.url}/login`, {
    method: 'POST',
    redirect: 'manual',
    body: new URLSearchParams({ email, password: TEST_PASSWORD }),
  })
  const cookie = (res.headers.get('Set-Cookie') ?? '').split(';')[0]!
  if (!cookie.startsWith('__ledger_session=')) throw new Error(`sign-in as ${email} failed: ${res.status}`)
  const root = await fetch(`${server.url}/?_data=root`, { headers: { Cookie: cookie } })
  return { cookie, csrf: ((await root.json()) as { csrf: string }).csrf }
}

beforeAll(async () => {
  const a = await ensurePractice(t.db, { odsCode: 'A81001', name: 'Riverside Surgery' })
  await ensurePractice(t.db, { odsCode: 'B82002', name: 'Hillside Practice' })
  await addSource(t.db, { practiceId: a.id, kind: 'fhir', name: 'Riverside FHIR', baseUrl: 'http://127.0.0.1:1/fhir' })
  await ensureOrganisation(t.db, { odsCode: 'RX1', name: 'Valley NHS Trust', recipientType: 'nhs_trust' })
  await createUser(t.db, { email: 'manager@riverside.nhs.uk', password: TEST_PASSWORD, role: 'practice_manager', practiceIds: [a.id] })
  await createUser(t.db, { email: 'admin@example.nhs.uk', password: TEST_PASSWORD, role: 'admin', practiceIds: [] })
  server = await startServerProcess(t.url)
  session.manager = await signIn('manager@riverside.nhs.uk')
  session.admin = await signIn('admin@example.nhs.uk')
}, 120_000)

afterAll(async () => {
  await server?.stop()
})

const seen = new Map<number, number>()
async function check(label: string, status: number) {
  seen.set(status, (seen.get(status) ?? 0) + 1)
  expect(ALLOWED.has(status), `${label} answered ${status}`).toBe(true)
  expect(await call('/healthz'), 'the server stopped answering /healthz').toBe(200)
}

describe('fuzz sweep over every parameter', () => {
  it('GET pages and exports with hostile query strings, signed in and not', { timeout: 600_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...PAGES),
        params(QUERY_NAMES),
        fc.constantFrom('manager', 'admin', 'anonymous'),
        async (page, pairs, who) => {
          const query = new URLSearchParams(pairs).toString()
          const headers: Record<string, string> = who === 'anonymous' ? {} : { Cookie: session[who].cookie }
          await check(`${who} GET ${page}?${query}`, await call(`${page}?${query}`, { headers }))
        },
      ),
      { numRuns: 250, seed: 20261206 },
    )
  })

  it('GET record pages with hostile ids', { timeout: 600_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ID_PAGES), hostileValue, async (page, id) => {
        await check(`GET ${page}${id}`, await call(`${page}${encodeURIComponent(id)}`, { headers: { Cookie: session.manager.cookie } }))
      }),
      { numRuns: 100, seed: 20261207 },
    )
  })

  it('POST every form with hostile fields and a valid anti-forgery token', { timeout: 600_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...FORMS), fc.boolean(), async (form, multipart) => {
        const pairs = fc.sample(params(form.fields), 1)[0]!
        const { cookie, csrf } = session[form.as]
        const body = multipart ? new FormData() : new URLSearchParams()
        body.append('csrf', csrf)
        for (const [name, value] of pairs) body.append(name, value)
        const status = await call(form.path, { method: 'POST', headers: { Cookie: cookie, Origin: server.url }, body })
        await check(`POST ${form.path} ${JSON.stringify(pairs).slice(0, 300)}`, status)
      }),
      { numRuns: 200, seed: 20261208 },
    )
    // The sweep reached the pages and the forms' own checks, not only the door.
    console.log('fuzz sweep answers by status:', Object.fromEntries(seen))
    expect(seen.get(200) ?? 0).toBeGreaterThan(50)
    expect(seen.get(400) ?? 0).toBeGreaterThan(50)
  })
})
