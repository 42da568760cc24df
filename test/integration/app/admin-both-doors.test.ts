import type { AppLoadContext } from '@remix-run/node'
import { beforeAll, describe, expect, it } from 'vitest'
import * as agreementsRoute from '../../../app/routes/admin.agreements.js'
import * as sourcesRoute from '../../../app/routes/admin.sources.js'
import * as usersRoute from '../../../app/routes/admin.users.js'
import { ensureOrganisation } from '../../../db/queries/organisations.js'
import { ensurePractice, type PracticeRow } from '../../../db/queries/practices.js'
import { loadContext, post, respond, signedInUser, type TestUser } from '../../support/app.js'
import { useTestDatabase } from '../../support/db.js'
import { runLedger } from '../../support/processes.js'
import { TEST_PSEUDONYM_KEY } from '../../support/test-env.js'

// The same bad input through both doors (docs/decisions/031): the web form shows the sentence at
// its field with status 400; the CLI prints it after the option's name and exits 2; neither
// writes anything, not even the organisation or practice it would have created on the way.

const t = useTestDatabase()
const context = (): AppLoadContext => loadContext(t)
const env = () => ({ DATABASE_URL: t.url, PSEUDONYM_KEY: TEST_PSEUDONYM_KEY })

let admin: TestUser
let A: PracticeRow
let hospital: number

beforeAll(async () => {
  A = await ensurePractice(t.db, { odsCode: 'A81001', name: 'Riverside Surgery' })
  hospital = await ensureOrganisation(t.db, { odsCode: 'RX1', name: 'County Hospital NHS Trust', recipientType: 'nhs_trust' })
  admin = await signedInUser(context(), 'admin', [], 'root.admin@ledger.test')
  await t
    .db('data_sharing_agreements')
    .insert({ reference: 'DSA-TAKEN', recipient_id: hospital, data_level: 'identifiable', valid_from: '2026-01-01' })
})

/** Every row either door could write, counted. */
async function written() {
  const count = async (table: string) => Number((await t.db(table).count('* as n').first())!.n)
  return {
    users: await count('users'),
    sources: await count('sources'),
    practices: await count('practices'),
    organisations: await count('organisations'),
    agreements: await count('data_sharing_agreements'),
    changesLogged: Number((await t.db('access_log').where('action', 'like', '%_add').count('* as n').first())!.n),
  }
}

interface Case {
  what: string
  route: { action: (args: never) => Promise<Response> }
  path: string
  web: () => Record<string, string | string[]>
  cli: string[]
  stdin?: string
  field: string
  sentence: string
  /** The CLI's words: the option that carried the field, then the sentence. */
  cliSays: string
}

const agreement = () => ({
  intent: 'add',
  reference: 'DSA-2026-100',
  recipient: 'new',
  newRecipientName: 'Quayside Research Ltd',
  newRecipientOds: 'QRS1',
  newRecipientType: 'research_org',
  purposes: ['research'],
  dataLevel: 'pseudonymised',
  validFrom: '2026-02-01',
  validTo: '',
  practices: [String(A.id)],
  description: '',
})
const agreementArgs = [
  'agreement',
  'add',
  '--reference',
  'DSA-2026-100',
  '--recipient-ods',
  'QRS1',
  '--recipient-name',
  'Quayside Research Ltd',
  '--recipient-type',
  'research_org',
  '--purpose',
  'research',
  '--data-level',
  'pseudonymised',
  '--practice',
  'A81001',
]

const CASES: Case[] = [
  {
    what: 'an agreement starting on a day that does not exist',
    route: agreementsRoute,
    path: '/admin/agreements',
    web: () => ({ ...agreement(), validFrom: '2026-02-30' }),
    cli: [...agreementArgs, '--from', '2026-02-30'],
    field: 'validFrom',
    sentence: 'Enter a real calendar date',
    cliSays: '--from: Enter a real calendar date.',
  },
  {
    what: 'an agreement ending before it starts',
    route: agreementsRoute,
    path: '/admin/agreements',
    web: () => ({ ...agreement(), validTo: '2026-01-31' }),
    cli: [...agreementArgs, '--from', '2026-02-01', '--to', '2026-01-31'],
    field: 'validTo',
    sentence: 'The end date must be on or after the start date',
    cliSays: '--to: The end date must be on or after the start date.',
  },
  {
    what: 'an agreement whose reference is taken, with a recipient not known yet',
    route: agreementsRoute,
    path: '/admin/agreements',
    web: () => ({ ...agreement(), reference: 'dsa-taken' }),
    cli: [...agreementArgs.map((a) => (a === 'DSA-2026-100' ? 'dsa-taken' : a)), '--from', '2026-02-01'],
    field: 'reference',
    sentence: 'An agreement with this reference already exists',
    cliSays: '--reference: An agreement with this reference already exists.',
  },
  {
    what: 'an agreement for a prohibited purpose',
    route: agreementsRoute,
    path: '/admin/agreements',
    web: () => ({ ...agreement(), purposes: ['marketing'] }),
    cli: [...agreementArgs.map((a) => (a === 'research' ? 'marketing' : a)), '--from', '2026-02-01'],
    field: 'purposes',
    sentence: 'Choose purposes from the list (marketing and insurance are never allowed)',
    cliSays: '--purpose: Choose purposes from the list (marketing and insurance are never allowed).',
  },
  {
    what: 'a user with a short password',
    route: usersRoute,
    path: '/admin/users',
    web: () => ({
      intent: 'add',
      email: 'new.auditor@example.nhs.uk',
      displayName: 'New Auditor',
      role: 'auditor',
      practices: [String(A.id)],
      password: 'too short',
    }),
    cli: ['user', 'add', '--email', 'new.auditor@example.nhs.uk', '--name', 'New Auditor', '--role', 'auditor', '--practice', 'A81001'],
    stdin: 'too short\n',
    field: 'password',
    sentence: 'The password must be at least 12 characters',
    cliSays: 'The password must be at least 12 characters.',
  },
  {
    what: 'a user who works for no practice',
    route: usersRoute,
    path: '/admin/users',
    web: () => ({
      intent: 'add',
      email: 'new.auditor@example.nhs.uk',
      displayName: 'New Auditor',
      role: 'auditor',
      password: 'a long enough password',
    }),
    cli: ['user', 'add', '--email', 'new.auditor@example.nhs.uk', '--name', 'New Auditor', '--role', 'auditor'],
    stdin: 'a long enough password\n',
    field: 'practices',
    sentence: 'Choose at least one practice this user works for',
    cliSays: '--practice: Choose at least one practice this user works for.',
  },
  {
    what: 'a source at an address that is not http(s), for a practice not known yet',
    route: sourcesRoute,
    path: '/admin/sources',
    web: () => ({
      intent: 'add',
      practice: 'new',
      newPracticeOds: 'C83003',
      newPracticeName: 'C83003',
      name: 'C83003 practice system',
      baseUrl: 'ftp://castle.example/fhir',
      token: '',
      expectedInterval: '1440',
    }),
    cli: ['source', 'add', '--practice', 'C83003', '--url', 'ftp://castle.example/fhir'],
    field: 'baseUrl',
    sentence: 'The address must start with https:// or http://',
    cliSays: '--url: The address must start with https:// or http://.',
  },
]

describe('the same refusal through the web form and the CLI', () => {
  for (const c of CASES) {
    it(`refuses ${c.what}: the same sentence, status 400 or exit 2, nothing written`, { timeout: 60_000 }, async () => {
      const before = await written()

      const response = await respond(() =>
        c.route.action({ request: post(c.path, admin, c.web()), params: {}, context: context() } as never),
      )
      expect(response.status).toBe(400)
      const failure = (await response.json()) as { errors: Record<string, string> }
      expect(failure.errors[c.field]).toBe(c.sentence)

      const cli = await runLedger(c.cli, env(), c.stdin)
      expect(cli.code, cli.stderr).toBe(2)
      expect(cli.stderr.trim()).toBe(c.cliSays)
      expect(cli.stdout).toBe('')

      expect(await written()).toEqual(before)
    })
  }
})
