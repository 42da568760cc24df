import type { AppLoadContext } from '@remix-run/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signIn } from '../../../app/lib/auth.server.js'
import * as agreementsRoute from '../../../app/routes/admin.agreements.js'
import { loader as agreementsCsv } from '../../../app/routes/admin.agreements[.]csv.js'
import * as codesRoute from '../../../app/routes/admin.codes.js'
import { loader as codesCsv } from '../../../app/routes/admin.codes[.]csv.js'
import { loader as indexLoader } from '../../../app/routes/admin._index.js'
import * as sourcesRoute from '../../../app/routes/admin.sources.js'
import { loader as sourcesCsv } from '../../../app/routes/admin.sources[.]csv.js'
import * as usersRoute from '../../../app/routes/admin.users.js'
import { loader as usersCsv } from '../../../app/routes/admin.users[.]csv.js'
import { loader as jobsLoader } from '../../../app/routes/jobs._index.js'
import { ensureOrganisation } from '../../../db/queries/organisations.js'
import { ensurePractice, type PracticeRow } from '../../../db/queries/practices.js'
import { addSource } from '../../../db/queries/sources.js'
import { collectSource } from '../../../jobs/collect.js'
import { startSimulator, type RunningSimulator } from '../../../simulator/server.js'
import { get, loadContext, post, respond, signedInUser, type TestUser } from '../../support/app.js'
import { testConfig } from '../../support/config.js'
import { useTestDatabase } from '../../support/db.js'

const t = useTestDatabase()
const context = (): AppLoadContext => loadContext(t)

let admin: TestUser
let guardian: TestUser
let manager: TestUser
let auditor: TestUser
let A: PracticeRow
let B: PracticeRow
let sim: RunningSimulator

const PAGES = [
  { path: '/admin', loader: indexLoader },
  { path: '/admin/users', loader: usersRoute.loader },
  { path: '/admin/sources', loader: sourcesRoute.loader },
  { path: '/admin/agreements', loader: agreementsRoute.loader },
  { path: '/admin/codes', loader: codesRoute.loader },
  { path: '/admin/users.csv', loader: usersCsv },
  { path: '/admin/sources.csv', loader: sourcesCsv },
  { path: '/admin/agreements.csv', loader: agreementsCsv },
  { path: '/admin/codes.csv', loader: codesCsv },
]
const ACTIONS = [
  { path: '/admin/users', action: usersRoute.action },
  { path: '/admin/sources', action: sourcesRoute.action },
  { path: '/admin/agreements', action: agreementsRoute.action },
  { path: '/admin/codes', action: codesRoute.action },
]

beforeAll(async () => {
  A = await ensurePractice(t.db, { odsCode: 'A81001', name: 'Riverside Surgery' })
  B = await ensurePractice(t.db, { odsCode: 'B82002', name: 'Hillside Practice' })
  admin = await signedInUser(context(), 'admin', [], 'root.admin@ledger.test')
  guardian = await signedInUser(context(), 'caldicott_guardian', ['A81001'])
  manager = await signedInUser(context(), 'practice_manager', ['A81001'])
  auditor = await signedInUser(context(), 'auditor', ['A81001'])
})

afterAll(async () => {
  await sim?.close()
})

async function load(route: { loader: (args: never) => Promise<Response> }, path: string, user: TestUser = admin) {
  const response = await respond(() => route.loader({ request: get(path, user), params: {}, context: context() } as never))
  if (response.status !== 200) throw new Error(`${path} answered ${response.status}: ${await response.text()}`)
  return response.json()
}

function submit(
  action: (args: never) => Promise<Response>,
  path: string,
  fields: Record<string, string | string[]>,
  user: TestUser = admin,
  opts: { csrf?: string | null; origin?: string } = {},
) {
  return respond(() => action({ request: post(path, user, fields, opts), params: {}, context: context() } as never))
}

async function failureOf(response: Response) {
  expect(response.status).toBe(400)
  return (await response.json()) as { intent: string; errors: Record<string, string>; values: Record<string, unknown> }
}

const logOf = (action: string) => t.db('access_log').where({ user_id: admin.id, action }).orderBy('id')

describe('administration pages', () => {
  it('refuse every page, export and form to anyone but an administrator (403)', async () => {
    for (const user of [guardian, manager, auditor]) {
      for (const page of PAGES) {
        const response = await respond(() => page.loader({ request: get(page.path, user), params: {}, context: context() } as never))
        expect(response.status, `${user.role} ${page.path}`).toBe(403)
      }
      for (const form of ACTIONS) {
        const response = await submit(form.action, form.path, { intent: 'add', email: 'sneaky@example.com' }, user)
        expect(response.status, `${user.role} POST ${form.path}`).toBe(403)
      }
    }
    expect(Number((await t.db('access_log').where({ action: 'forbidden', outcome: 'denied' }).count('* as n').first())!.n)).toBe(
      3 * (PAGES.length + ACTIONS.length),
    )
    for (const page of PAGES)
      expect((await respond(() => page.loader({ request: get(page.path), params: {}, context: context() } as never))).status).toBe(302)
  })

  it('refuse forms without the anti-forgery token or from another site (403)', async () => {
    const fields = { intent: 'add', email: 'forged@example.com', displayName: 'Forged', role: 'admin', password: 'a long enough password' }
    expect((await submit(usersRoute.action, '/admin/users', fields, admin, { csrf: null })).status).toBe(403)
    expect((await submit(usersRoute.action, '/admin/users', fields, admin, { origin: 'https://evil.example' })).status).toBe(403)
    expect(await t.db('users').where({ email: 'forged@example.com' }).first()).toBeUndefined()
    expect(await t.db('access_log').where({ user_id: admin.id, action: 'csrf_refused' }).count('* as n').first()).toEqual({ n: 2 })
  })

  it('shows the index with counts and links', async () => {
    const data = await load({ loader: indexLoader }, '/admin')
    expect(data.counts).toMatchObject({ users: 4, disabledUsers: 0, sources: 0, agreements: 0 })
    expect(data.counts.purposeCodes).toBeGreaterThan(20)
  })
})

describe('/admin/users', () => {
  const newUser = {
    intent: 'add',
    email: 'New.Manager@Riverside.nhs.uk',
    displayName: 'Nia Manager',
    role: 'practice_manager',
    practices: [] as string[],
    password: 'twelve chars or more',
  }

  it('adds a user who can then sign in, and logs it without the password', async () => {
    const response = await submit(usersRoute.action, '/admin/users', { ...newUser, practices: [String(A.id)] })
    expect(response.status).toBe(302)
    const user = await t.db('users').whereRaw('lower(email) = ?', ['new.manager@riverside.nhs.uk']).first()
    expect(user).toMatchObject({ role: 'practice_manager', display_name: 'Nia Manager', disabled_at: null })
    expect(user.password_hash).not.toContain('twelve')
    expect(response.headers.get('Location')).toBe(`/admin/users?notice=added&id=${user.id}`)
    expect(await t.db('user_practices').where({ user_id: user.id }).select('practice_id')).toEqual([{ practice_id: A.id }])

    const result = await signIn(context(), 'new.manager@riverside.nhs.uk', 'twelve chars or more')
    expect(result.ok).toBe(true)

    const [log] = await logOf('admin_user_add')
    expect(log).toMatchObject({ target: `user:${user.id}`, outcome: 'ok' })
    expect(log.detail).toEqual({ email: 'New.Manager@Riverside.nhs.uk', role: 'practice_manager', practices: ['A81001'] })
    expect(JSON.stringify(log)).not.toContain('twelve chars')

    const page = await load(usersRoute, `/admin/users?notice=added&id=${user.id}`)
    expect(page.notice).toMatch(/^Added New.Manager@Riverside.nhs.uk\./)
    expect(page.users.find((u: { id: number }) => u.id === user.id)).toMatchObject({
      role: 'practice_manager',
      practices: [{ id: A.id, odsCode: 'A81001' }],
    })
    expect(JSON.stringify(page)).not.toContain('password_hash')
    expect(JSON.stringify(page)).not.toContain('scrypt$')
  })

  it('explains what is wrong with a new user, and never sends the password back', async () => {
    const short = await failureOf(
      await submit(usersRoute.action, '/admin/users', {
        ...newUser,
        email: 'short@example.com',
        password: 'too short',
        practices: [String(A.id)],
      }),
    )
    expect(short.errors).toEqual({ password: 'The password must be at least 12 characters' })
    expect(JSON.stringify(short)).not.toContain('too short')

    const noPractice = await failureOf(await submit(usersRoute.action, '/admin/users', { ...newUser, email: 'nopractice@example.com' }))
    expect(noPractice.errors).toEqual({ practices: 'Choose at least one practice this user works for' })

    const taken = await failureOf(
      await submit(usersRoute.action, '/admin/users', { ...newUser, email: 'NEW.MANAGER@riverside.nhs.uk', practices: [String(A.id)] }),
    )
    expect(taken.errors).toEqual({ email: 'A user with this e-mail address already exists' })

    const bad = await failureOf(
      await submit(usersRoute.action, '/admin/users', {
        intent: 'add',
        email: 'not-an-address',
        displayName: ' ',
        role: 'superuser',
        password: 'x'.repeat(12),
      }),
    )
    expect(Object.keys(bad.errors).sort()).toEqual(['displayName', 'email', 'role'])
    expect(bad.values).toMatchObject({ email: 'not-an-address', role: 'superuser' })

    // An administrator needs no practices: they see every one by their role.
    const ok = await submit(usersRoute.action, '/admin/users', { ...newUser, email: 'second.admin@ledger.test', role: 'admin' })
    expect(ok.status).toBe(302)
    expect(await t.db('users').where({ email: 'second.admin@ledger.test' }).count('* as n').first()).toEqual({ n: 1 })
    expect(await t.db('users').whereIn('email', ['short@example.com', 'nopractice@example.com', 'not-an-address']).first()).toBeUndefined()
  })

  it('disables a user (their session ends, sign-in is refused) and enables them again', async () => {
    const victim = await signedInUser(context(), 'caldicott_guardian', ['A81001'], 'leaver@riverside.nhs.uk')
    const jobsAs = (user: TestUser) => respond(() => jobsLoader({ request: get('/jobs', user), params: {}, context: context() }))
    expect((await jobsAs(victim)).status).toBe(200)

    const response = await submit(usersRoute.action, '/admin/users', { intent: 'disable', userId: String(victim.id) })
    expect(response.status).toBe(302)
    expect((await t.db('users').where({ id: victim.id }).first()).disabled_at).toBeInstanceOf(Date)
    expect((await jobsAs(victim)).status).toBe(302) // back to the sign-in page
    expect(await signIn(context(), 'leaver@riverside.nhs.uk', 'correct horse battery staple')).toMatchObject({ ok: false })
    expect((await logOf('admin_user_disable'))[0]).toMatchObject({ target: `user:${victim.id}` })
    const page = await load(usersRoute, `/admin/users?notice=disabled&id=${victim.id}`)
    expect(page.notice).toMatch(/^Disabled leaver@riverside.nhs.uk/)

    expect((await submit(usersRoute.action, '/admin/users', { intent: 'enable', userId: String(victim.id) })).status).toBe(302)
    expect(await signIn(context(), 'leaver@riverside.nhs.uk', 'correct horse battery staple')).toMatchObject({ ok: true })
    expect((await logOf('admin_user_enable'))[0]).toMatchObject({ target: `user:${victim.id}` })

    const self = await failureOf(await submit(usersRoute.action, '/admin/users', { intent: 'disable', userId: String(admin.id) }))
    expect(self.errors.form).toMatch(/cannot disable your own account/)
    expect((await submit(usersRoute.action, '/admin/users', { intent: 'disable', userId: '999999' })).status).toBe(404)
    expect((await submit(usersRoute.action, '/admin/users', { intent: 'delete', userId: String(victim.id) })).status).toBe(400)
  })

  it('exports the user list as CSV (logged), without password hashes', async () => {
    const response = await respond(() => usersCsv({ request: get('/admin/users.csv'), params: {}, context: context() } as never))
    expect(response.status).toBe(302)
    const csv = await (
      await respond(() => usersCsv({ request: get('/admin/users.csv', admin), params: {}, context: context() } as never))
    ).text()
    expect(csv.split('\r\n')[0]).toBe('id,email,display_name,role,practices,disabled_at,created_at')
    expect(csv).toContain('New.Manager@Riverside.nhs.uk,Nia Manager,practice_manager,A81001,')
    expect(csv).not.toContain('scrypt')
    expect(await logOf('export').where({ target: '/admin/users.csv' }).first()).toBeDefined()
  })
})

describe('/admin/sources', () => {
  const fields = {
    intent: 'add',
    practice: '',
    name: 'Riverside EMIS',
    baseUrl: 'https://riverside.example/fhir/',
    token: 's3cret-bearer-token',
    expectedInterval: '60',
  }

  it('adds a FHIR source with a write-only token', async () => {
    const response = await submit(sourcesRoute.action, '/admin/sources', { ...fields, practice: String(A.id) })
    expect(response.status).toBe(302)
    const source = await t.db('sources').where({ name: 'Riverside EMIS' }).first()
    expect(source).toMatchObject({
      practice_id: A.id,
      kind: 'fhir',
      base_url: 'https://riverside.example/fhir',
      token: 's3cret-bearer-token',
      expected_interval_minutes: 60,
      enabled: true,
    })
    const page = await load(sourcesRoute, `/admin/sources?notice=added&id=${source.id}`)
    expect(page.sources).toEqual([
      expect.objectContaining({ id: source.id, tokenSet: true, baseUrl: 'https://riverside.example/fhir', practiceOds: 'A81001' }),
    ])
    expect(page.notice).toMatch(/^Added Riverside EMIS\./)
    expect(JSON.stringify(page)).not.toContain('s3cret')
    const [log] = await logOf('admin_source_add')
    expect(log).toMatchObject({ target: `source:${source.id}`, practice_id: A.id })
    expect(log.detail).toMatchObject({ tokenSet: true, baseUrl: 'https://riverside.example/fhir' })
    expect(JSON.stringify(log)).not.toContain('s3cret')
    const csv = await (
      await respond(() => sourcesCsv({ request: get('/admin/sources.csv', admin), params: {}, context: context() } as never))
    ).text()
    expect(csv).toContain(',set,60,true')
    expect(csv).not.toContain('s3cret')
    // The jobs page never shows it either.
    expect(JSON.stringify(await (await jobsLoader({ request: get('/jobs', admin), params: {}, context: context() })).json())).not.toContain(
      's3cret',
    )
  })

  it('explains what is wrong with a new source, and never sends the token back', async () => {
    const cases: Array<[Record<string, string>, Record<string, string>]> = [
      [{ baseUrl: 'ftp://riverside.example/fhir' }, { baseUrl: 'The address must start with https:// or http://' }],
      [{ baseUrl: 'javascript:alert(1)' }, { baseUrl: 'The address must start with https:// or http://' }],
      [{ baseUrl: 'riverside.example/fhir' }, { baseUrl: 'Enter a full address starting with https:// or http://' }],
      [{ baseUrl: 'https://user:pw@riverside.example/fhir' }, { baseUrl: 'Put the credentials in the token field, not in the address' }],
      [{ baseUrl: 'https://riverside.example/fhir' }, { baseUrl: 'This practice already has a source at this address' }],
      [
        { baseUrl: 'https://other.example/fhir', expectedInterval: '0' },
        { expectedInterval: 'The expected interval must be at least 5 minutes' },
      ],
      [{ baseUrl: 'https://other.example/fhir', practice: '' }, { practice: 'Choose the practice whose system this is' }],
      [
        { baseUrl: 'https://other.example/fhir', practice: 'new', newPracticeOds: 'Q1', newPracticeName: 'X' },
        { newPracticeOds: 'Enter the practice ODS code: one letter and five digits, such as A81001' },
      ],
      [{ baseUrl: 'https://other.example/fhir', name: '' }, { name: 'Enter a name people will recognise, such as "Riverside EMIS"' }],
    ]
    for (const [change, errors] of cases) {
      const failed = await failureOf(await submit(sourcesRoute.action, '/admin/sources', { ...fields, practice: String(A.id), ...change }))
      expect(failed.errors, JSON.stringify(change)).toEqual(errors)
      expect(JSON.stringify(failed)).not.toContain('s3cret')
    }
    expect(await t.db('sources').count('* as n').first()).toEqual({ n: 1 })
  })

  it('adds a source for a practice not listed yet', async () => {
    const response = await submit(sourcesRoute.action, '/admin/sources', {
      ...fields,
      token: '',
      practice: 'new',
      newPracticeOds: 'c83003',
      newPracticeName: 'Castle Medical Centre',
      baseUrl: 'http://10.1.2.3/fhir',
    })
    expect(response.status).toBe(302)
    const practice = await t.db('practices').where({ ods_code: 'C83003' }).first()
    expect(practice).toMatchObject({ name: 'Castle Medical Centre' })
    expect(await t.db('sources').where({ practice_id: practice.id }).first()).toMatchObject({
      token: null,
      base_url: 'http://10.1.2.3/fhir',
    })
    const page = await load(sourcesRoute, '/admin/sources')
    expect(page.sources.find((s: { practiceOds: string }) => s.practiceOds === 'C83003')).toMatchObject({ tokenSet: false })
  })

  it('disables and enables a source, and logs both', async () => {
    const source = await t.db('sources').where({ name: 'Riverside EMIS' }).first()
    expect((await submit(sourcesRoute.action, '/admin/sources', { intent: 'disable', sourceId: String(source.id) })).status).toBe(302)
    expect((await t.db('sources').where({ id: source.id }).first()).enabled).toBe(false)
    expect((await submit(sourcesRoute.action, '/admin/sources', { intent: 'enable', sourceId: String(source.id) })).status).toBe(302)
    expect((await t.db('sources').where({ id: source.id }).first()).enabled).toBe(true)
    expect((await logOf('admin_source_disable'))[0]).toMatchObject({ target: `source:${source.id}`, practice_id: A.id })
    expect((await logOf('admin_source_enable'))[0]).toMatchObject({ target: `source:${source.id}` })
    expect((await submit(sourcesRoute.action, '/admin/sources', { intent: 'enable', sourceId: '424242' })).status).toBe(404)
  })
})

describe('/admin/agreements', () => {
  let hospital: number
  const base = () => ({
    intent: 'add',
    reference: 'DSA-2026-001',
    recipient: String(hospital),
    purposes: ['research', 'clinical_audit'],
    dataLevel: 'pseudonymised',
    validFrom: '2026-01-01',
    validTo: '2026-12-31',
    practices: [String(A.id), String(B.id)],
    description: 'Audit of diabetes care',
  })

  it('explains what is wrong with a new agreement', async () => {
    hospital = await ensureOrganisation(t.db, { odsCode: 'RX1', name: 'County Hospital NHS Trust', recipientType: 'nhs_trust' })
    const failed = async (change: Record<string, string | string[]>) =>
      (await failureOf(await submit(agreementsRoute.action, '/admin/agreements', { ...base(), ...change }))).errors
    expect(await failed({ validFrom: '2026-06-01', validTo: '2026-05-31' })).toEqual({
      validTo: 'The end date must be on or after the start date',
    })
    expect(await failed({ purposes: [] })).toEqual({ purposes: 'Choose at least one purpose the agreement covers' })
    expect(await failed({ purposes: ['research', 'marketing'] })).toEqual({
      purposes: 'Choose purposes from the list (marketing and insurance are never allowed)',
    })
    expect(await failed({ practices: [] })).toEqual({ practices: 'Choose at least one practice that is party to the agreement' })
    expect(await failed({ validFrom: '2026-02-30' })).toEqual({ validFrom: 'Enter a real calendar date' })
    expect(await failed({ dataLevel: 'everything', reference: '' })).toEqual({
      dataLevel: 'Choose the level of data the agreement allows',
      reference: 'Enter the agreement reference, such as DSA-2026-014',
    })
    expect(await failed({ recipient: '' })).toEqual({
      recipient: 'Choose the recipient organisation, or "A new organisation" and give its details',
    })
    expect(await failed({ recipient: 'new', newRecipientName: '', newRecipientOds: 'bad code!', newRecipientType: 'pirates' })).toEqual({
      newRecipientName: 'Enter the recipient organisation’s name',
      newRecipientOds: 'An ODS code is 3 to 10 letters and digits; leave it empty if the recipient has none',
    })
    expect(await failed({ recipient: 'new', newRecipientName: 'Pirates Ltd', newRecipientType: 'pirates' })).toEqual({
      newRecipientType: 'Choose the recipient type from the list',
    })
    expect(await t.db('data_sharing_agreements').count('* as n').first()).toEqual({ n: 0 })
  })

  it('adds an agreement with an existing recipient, and lists it', async () => {
    const response = await submit(agreementsRoute.action, '/admin/agreements', base())
    expect(response.status).toBe(302)
    const agreement = await t.db('data_sharing_agreements').where({ reference: 'DSA-2026-001' }).first()
    expect(agreement).toMatchObject({
      recipient_id: hospital,
      data_level: 'pseudonymised',
      valid_from: '2026-01-01',
      valid_to: '2026-12-31',
      created_by: admin.id,
    })
    expect((await t.db('agreement_purposes').where({ agreement_id: agreement.id }).orderBy('purpose')).map((r) => r.purpose)).toEqual([
      'clinical_audit',
      'research',
    ])
    expect(
      (await t.db('agreement_practices').where({ agreement_id: agreement.id }).orderBy('practice_id')).map((r) => r.practice_id),
    ).toEqual([A.id, B.id])
    expect((await logOf('admin_agreement_add'))[0]).toMatchObject({ target: `agreement:${agreement.id}` })

    const page = await load(agreementsRoute, `/admin/agreements?notice=added&id=${agreement.id}`)
    expect(page.notice).toBe('Added agreement DSA-2026-001 with County Hospital NHS Trust.')
    expect(page.agreements).toEqual([
      expect.objectContaining({
        reference: 'DSA-2026-001',
        recipientName: 'County Hospital NHS Trust',
        recipientOds: 'RX1',
        recipientTypeLabel: 'NHS trust / foundation trust',
        dataLevel: 'pseudonymised',
        validFrom: '2026-01-01',
        validTo: '2026-12-31',
        practices: ['A81001', 'B82002'],
        purposes: [expect.objectContaining({ code: 'clinical_audit' }), expect.objectContaining({ code: 'research' })],
      }),
    ])
    expect(page.purposes.map((p: { code: string }) => p.code)).not.toContain('marketing')

    const again = await failureOf(await submit(agreementsRoute.action, '/admin/agreements', { ...base(), reference: 'dsa-2026-001' }))
    expect(again.errors).toEqual({ reference: 'An agreement with this reference already exists' })
  })

  it('adds an agreement with a new recipient organisation, open-ended', async () => {
    const response = await submit(agreementsRoute.action, '/admin/agreements', {
      ...base(),
      reference: 'DSA-2026-002',
      recipient: 'new',
      newRecipientName: 'City University',
      newRecipientOds: 'ee1',
      newRecipientType: 'research_org',
      validTo: '',
      practices: [String(A.id)],
      purposes: ['research'],
    })
    expect(response.status).toBe(302)
    const org = await t.db('organisations').where({ ods_code: 'EE1' }).first()
    expect(org).toMatchObject({ name: 'City University', recipient_type: 'research_org' })
    expect(await t.db('data_sharing_agreements').where({ reference: 'DSA-2026-002' }).first()).toMatchObject({
      recipient_id: org.id,
      valid_to: null,
    })
    const csv = await (
      await respond(() => agreementsCsv({ request: get('/admin/agreements.csv', admin), params: {}, context: context() } as never))
    ).text()
    expect(csv).toContain('DSA-2026-002,City University,EE1,Research organisation,research,pseudonymised,2026-01-01,,A81001')
  })
})

describe('/admin/codes', () => {
  const V3 = 'http://terminology.hl7.org/CodeSystem/v3-ActReason'

  it('adds purpose and choice mappings, refuses to change existing ones, and logs each', async () => {
    const response = await submit(codesRoute.action, '/admin/codes', { intent: 'purpose', system: V3, code: 'XYZZY', purpose: 'research' })
    expect(response.status).toBe(302)
    expect(await t.db('purpose_code_map').where({ system: V3, code: 'XYZZY' }).first()).toMatchObject({ purpose: 'research' })
    expect((await logOf('admin_code_map_add'))[0]).toMatchObject({ target: `purpose_code_map:${V3}#XYZZY` })
    const page = await load(
      codesRoute,
      new URL(response.headers.get('Location')!, 'http://x').pathname + new URL(response.headers.get('Location')!, 'http://x').search,
    )
    expect(page.notice).toBe(`Added a mapping for XYZZY (${V3}). It applies from the next collection run.`)
    expect(page.purposeCodes).toContainEqual({ system: V3, code: 'XYZZY', purpose: 'research', label: 'Research' })

    const existing = await failureOf(
      await submit(codesRoute.action, '/admin/codes', { intent: 'purpose', system: V3, code: 'HMARKT', purpose: 'research' }),
    )
    expect(existing.errors.code).toMatch(/already mapped to the purpose "marketing"/)
    expect(await t.db('purpose_code_map').where({ system: V3, code: 'HMARKT' }).first()).toMatchObject({ purpose: 'marketing' })

    const bad = await failureOf(
      await submit(codesRoute.action, '/admin/codes', { intent: 'purpose', system: 'snomed', code: 'two words', purpose: 'nonsense' }),
    )
    expect(Object.keys(bad.errors).sort()).toEqual(['code', 'purpose', 'system'])

    const choice = await submit(codesRoute.action, '/admin/codes', {
      intent: 'choice',
      system: 'http://read.info/readv2',
      code: '9Nd9',
      kind: 'record_sharing',
      decision: 'deny',
    })
    expect(choice.status).toBe(302)
    expect(await t.db('choice_code_map').where({ code: '9Nd9' }).first()).toMatchObject({ kind: 'record_sharing', decision: 'deny' })
    expect((await logOf('admin_code_map_add'))[1]).toMatchObject({ target: 'choice_code_map:http://read.info/readv2#9Nd9' })
    const badChoice = await failureOf(
      await submit(codesRoute.action, '/admin/codes', {
        intent: 'choice',
        system: 'http://read.info/readv2',
        code: '9Nu0',
        kind: 'opinion',
        decision: 'maybe',
      }),
    )
    expect(Object.keys(badChoice.errors).sort()).toEqual(['code', 'decision', 'kind'])
  })

  it('lets a record quarantined for an unknown code load when its dates are read again', async () => {
    // A fresh code the simulator does not send yet would prove nothing: remove XYZZY again, collect, then map it through the page.
    await t.db('purpose_code_map').where({ system: V3, code: 'XYZZY' }).delete()
    sim = await startSimulator({ port: 0, practices: 1, days: 3, seed: 5 })
    const practice = await ensurePractice(t.db, { odsCode: sim.practices[0]!.odsCode })
    const source = await addSource(t.db, {
      practiceId: practice.id,
      kind: 'fhir',
      name: 'Simulated',
      baseUrl: sim.practices[0]!.fhirBaseUrl,
    })
    const deps = { db: t.db, target: { kind: 'postgres' as const, url: t.url }, config: testConfig(t.url) }
    expect((await collectSource(deps, source)).status).toBe('completed')
    const stuck = await t.db('quarantine').where({ source_id: source.id, status: 'pending' }).where('reason', 'like', '%XYZZY%').first()
    expect(stuck).toBeDefined()

    expect(
      (await submit(codesRoute.action, '/admin/codes', { intent: 'purpose', system: V3, code: 'XYZZY', purpose: 'research' })).status,
    ).toBe(302)
    const result = await collectSource(deps, source, { backfill: { from: '2026-10-01', to: '2026-11-01' } })
    expect(result.status).toBe('completed')
    expect(await t.db('quarantine').where({ id: stuck.id }).first()).toMatchObject({ status: 'resolved' })
    expect(await t.db('disclosures').where({ source_id: source.id, purpose_code: 'XYZZY' }).first()).toMatchObject({ purpose: 'research' })
  })

  it('exports every mapping as CSV', async () => {
    const csv = await (
      await respond(() => codesCsv({ request: get('/admin/codes.csv', admin), params: {}, context: context() } as never))
    ).text()
    expect(csv.split('\r\n')[0]).toBe('table,system,code,meaning')
    expect(csv).toContain(`purpose,${V3},XYZZY,research`)
    expect(csv).toContain('choice,http://read.info/readv2,9Nd9,record_sharing deny')
  })
})
