import type { AppLoadContext } from '@remix-run/node'
import { beforeAll, describe, expect, it } from 'vitest'
import { loader as detailLoader } from '../../../app/routes/disclosures.$id.js'
import { loader as summaryLoader } from '../../../app/routes/disclosures._index.js'
import { loader as listLoader } from '../../../app/routes/disclosures.list.js'
import { loader as summaryCsvLoader } from '../../../app/routes/disclosures.summary[.]csv.js'
import { loader as csvLoader } from '../../../app/routes/disclosures[.]csv.js'
import { addAgreement } from '../../../db/queries/agreements.js'
import { finishRun, startRun } from '../../../db/queries/job-runs.js'
import { ensureOrganisation } from '../../../db/queries/organisations.js'
import { ensurePractice } from '../../../db/queries/practices.js'
import { upsertDisclosures, upsertOverrideEvents, type DisclosureRecord } from '../../../db/queries/records.js'
import { addSource } from '../../../db/queries/sources.js'
import { get, loadContext, respond, signedInUser, type TestUser } from '../../support/app.js'
import { useTestDatabase } from '../../support/db.js'

const t = useTestDatabase()
const context = (): AppLoadContext => loadContext(t)

/*
 * The dataset. Practice A81001 (138 disclosures):
 *   direct_care    120  i = 0..119, hourly from 1 Mar 2026 08:00 UTC; i < 100 County Hospital,
 *                       else Valley NHS Trust (both NHS trusts); implied consent; identifiable;
 *                       patient P-A-(i mod 40)
 *   research         5  City University, s251, pseudonymised (R1..R5, 20 Mar) + 1 more on 2 Apr
 *   research         2  City University, explicit consent, identifiable (21 Mar)
 *   legal            3  County Police, legal obligation, identifiable (22 Mar)
 *   safeguarding     2  Borough Council, safeguarding duty, identifiable (23 Mar)
 *   safeguarding     1  County Police, no legal basis, identifiable (23 Mar)
 *   commissioning    4  Borough Council, no legal basis, anonymised (24 Mar)
 * Practice B82002 (8): direct care 6 to County Hospital; marketing 2 to Acme Marketing (B only).
 */
const BASE = Date.parse('2026-03-01T08:00:00Z')
const HOUR = 3_600_000

let A: number
let B: number
let ids: { hospital: number; trust: number; police: number; university: number; council: number; acme: number }
let runId: number
let agreementId: number
let guardian: TestUser

async function seed() {
  A = (await ensurePractice(t.db, { odsCode: 'A81001', name: 'Riverside Surgery' })).id
  B = (await ensurePractice(t.db, { odsCode: 'B82002', name: 'Hillside Practice' })).id
  await t.db('practices').where({ id: A }).update({ name: 'Riverside Surgery' })
  await t.db('practices').where({ id: B }).update({ name: 'Hillside Practice' })
  const sourceA = await addSource(t.db, { practiceId: A, kind: 'fhir', name: 'Riverside FHIR', baseUrl: 'http://127.0.0.1:1/fhir' })
  const sourceB = await addSource(t.db, { practiceId: B, kind: 'fhir', name: 'Hillside FHIR', baseUrl: 'http://127.0.0.1:2/fhir' })
  ids = {
    hospital: await ensureOrganisation(t.db, { odsCode: 'RX1', name: 'County Hospital', recipientType: 'nhs_trust' }),
    trust: await ensureOrganisation(t.db, { odsCode: 'RX2', name: 'Valley NHS Trust', recipientType: 'nhs_trust' }),
    police: await ensureOrganisation(t.db, { name: 'County Police', recipientType: 'police_judicial' }),
    university: await ensureOrganisation(t.db, { odsCode: 'EE1', name: 'City University', recipientType: 'research_org' }),
    council: await ensureOrganisation(t.db, { name: 'Borough Council', recipientType: 'local_authority' }),
    acme: await ensureOrganisation(t.db, { name: 'Acme Marketing', recipientType: 'private_provider' }),
  }
  const run = await startRun(t.db, { jobName: 'collect', sourceId: sourceA.id, trigger: 'manual', lockedBy: 'test' })
  runId = run.id
  await finishRun(t.db, run.id, 'completed', null)

  const row = (
    practice: number,
    source: number,
    key: string,
    at: string | number,
    pseudonym: string,
    recipient: number,
    purpose: string,
    legalBasis: string | null,
    dataLevel: DisclosureRecord['data_level'],
  ): DisclosureRecord => ({
    practice_id: practice,
    source_id: source,
    source_record_id: key,
    source_version: '3',
    occurred_at: new Date(at).toISOString(),
    patient_pseudonym: pseudonym,
    recipient_id: recipient,
    purpose,
    purpose_code: purpose === 'research' ? 'HRESCH' : null,
    legal_basis: legalBasis,
    data_level: dataLevel,
    data_description: purpose === 'research' ? 'Coded diagnoses, 2020-2025' : null,
    disclosed_by_role: purpose === 'research' ? 'Practice manager' : null,
    disclosed_by: purpose === 'research' ? 'staff-17' : null,
    run_id: runId,
  })
  const a: DisclosureRecord[] = []
  for (let i = 0; i < 120; i++) {
    a.push(
      row(
        A,
        sourceA.id,
        `dc-${i}`,
        BASE + i * HOUR,
        `P-A-${i % 40}`,
        i < 100 ? ids.hospital : ids.trust,
        'direct_care',
        'implied_consent',
        'identifiable',
      ),
    )
  }
  for (let i = 1; i <= 5; i++)
    a.push(
      row(
        A,
        sourceA.id,
        `R${i}`,
        `2026-03-20T1${i}:00:00Z`,
        i === 1 ? 'P-A-7' : `P-R-${i}`,
        ids.university,
        'research',
        's251',
        'pseudonymised',
      ),
    )
  a.push(row(A, sourceA.id, 'R6', '2026-04-02T10:00:00Z', 'P-R-6', ids.university, 'research', 's251', 'pseudonymised'))
  for (let i = 1; i <= 2; i++)
    a.push(
      row(A, sourceA.id, `EC${i}`, `2026-03-21T1${i}:00:00Z`, `P-E-${i}`, ids.university, 'research', 'explicit_consent', 'identifiable'),
    )
  for (let i = 1; i <= 3; i++)
    a.push(row(A, sourceA.id, `L${i}`, `2026-03-22T1${i}:00:00Z`, `P-L-${i}`, ids.police, 'legal', 'legal_obligation', 'identifiable'))
  for (let i = 1; i <= 2; i++)
    a.push(
      row(A, sourceA.id, `S${i}`, `2026-03-23T1${i}:00:00Z`, `P-S-${i}`, ids.council, 'safeguarding', 'safeguarding_duty', 'identifiable'),
    )
  a.push(row(A, sourceA.id, 'S3', '2026-03-23T15:00:00Z', 'P-S-3', ids.police, 'safeguarding', null, 'identifiable'))
  for (let i = 1; i <= 4; i++)
    a.push(row(A, sourceA.id, `C${i}`, `2026-03-24T1${i}:00:00Z`, `P-C-${i}`, ids.council, 'commissioning', null, 'anonymised'))
  await upsertDisclosures(t.db, a)

  const b: DisclosureRecord[] = []
  // P-A-7 also has records in practice B: a user of A must never see them.
  for (let i = 0; i < 6; i++)
    b.push(
      row(
        B,
        sourceB.id,
        `b-${i}`,
        `2026-03-1${i}T09:00:00Z`,
        i === 0 ? 'P-A-7' : `P-B-${i}`,
        ids.hospital,
        'direct_care',
        'implied_consent',
        'identifiable',
      ),
    )
  for (let i = 0; i < 2; i++)
    b.push(row(B, sourceB.id, `bm-${i}`, `2026-03-1${i}T11:00:00Z`, `P-B-M${i}`, ids.acme, 'marketing', null, 'identifiable'))
  await upsertDisclosures(
    t.db,
    b.map((r) => ({ ...r, run_id: null })),
  )

  agreementId = (
    await addAgreement(t.db, {
      reference: 'DSA-UNI-2026',
      recipientId: ids.university,
      dataLevel: 'pseudonymised',
      validFrom: '2026-01-01',
      validTo: '2026-12-31',
      purposes: ['research'],
      practiceIds: [A],
    })
  ).id
  // DisclosureRecord has no agreement_id (collectors do not set it yet): set it directly.
  await t.db('disclosures').whereIn('source_record_id', ['R1', 'EC1']).where({ practice_id: A }).update({ agreement_id: agreementId })
  await t.db('disclosures').where({ source_record_id: 'EC2', practice_id: A }).update({ agreement_id: 999_999 })

  const override = (practice: number, source: number, key: string, at: string, kind: 'break_glass' | 'consent_override') => ({
    practice_id: practice,
    source_id: source,
    source_record_id: key,
    source_version: '1',
    occurred_at: at,
    patient_pseudonym: 'P-A-7',
    kind,
    reason_code: 'OVRER',
    purpose_code: 'ETREAT',
    legal_basis: 'vital_interests',
    actor_role: 'GP',
    actor: 'dr-1',
    recipient_id: null,
    description: null,
    run_id: null,
  })
  await upsertOverrideEvents(t.db, [
    override(A, sourceA.id, 'ov-a', '2026-03-05T10:00:00Z', 'break_glass'),
    override(B, sourceB.id, 'ov-b', '2026-03-06T10:00:00Z', 'consent_override'),
  ])
}

const idOf = async (practice: number, key: string): Promise<number> =>
  (await t.db('disclosures').where({ practice_id: practice, source_record_id: key }).first('id')).id

// Loader data as plain JSON: the tests compare it with literal values.
type Json = any

async function summary(query = '', user: TestUser = guardian): Promise<Json> {
  return (await summaryLoader({ request: get(`/disclosures${query}`, user), params: {}, context: context() })).json()
}
async function list(query = '', user: TestUser = guardian): Promise<Json> {
  return (await listLoader({ request: get(`/disclosures/list${query}`, user), params: {}, context: context() })).json()
}
async function detail(id: string, query = '', user: TestUser = guardian): Promise<Json> {
  return (await detailLoader({ request: get(`/disclosures/${id}${query}`, user), params: { id }, context: context() })).json()
}
async function csv(query = '', user: TestUser = guardian): Promise<Response> {
  return respond(() => csvLoader({ request: get(`/disclosures.csv${query}`, user), params: {}, context: context() }))
}
/** The Response a loader threw or returned, for 400/404/redirect checks. */
async function status(
  fn: (args: { request: Request; params: Record<string, string>; context: AppLoadContext }) => Promise<unknown>,
  path: string,
  user: TestUser | null = guardian,
  params: Record<string, string> = {},
) {
  return respond(() => fn({ request: get(path, user ?? undefined), params, context: context() }))
}
/** RFC 4180: quoted cells may hold commas, line breaks and doubled quotes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"'
        i++
      } else if (c === '"') quoted = false
      else cell += c
    } else if (c === '"') quoted = true
    else if (c === ',') {
      row.push(cell)
      cell = ''
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell)
      rows.push(row)
      row = []
      cell = ''
      i++
    } else cell += c
  }
  return rows
}

type Row = Record<string, unknown>
const pairs = (rows: Row[], key: string, value = 'disclosures') => rows.map((r) => [r[key], r[value]])

beforeAll(async () => {
  await seed()
  guardian = await signedInUser(context(), 'caldicott_guardian', ['A81001'])
})

describe('/disclosures summary', () => {
  it('sends a visitor who is not signed in to the sign-in page', async () => {
    const response = await status(summaryLoader, '/disclosures?purpose=research', null)
    expect(response.status).toBe(302)
    expect(response.headers.get('Location')).toBe('/login?redirectTo=%2Fdisclosures%3Fpurpose%3Dresearch')
  })

  it('counts by purpose, recipient, legal basis and data level from the roll-up', async () => {
    const data = await summary()
    expect(data.total).toBe(138)
    expect(pairs(data.byPurpose, 'purpose')).toEqual([
      ['direct_care', 120],
      ['research', 8],
      ['commissioning', 4],
      ['legal', 3],
      ['safeguarding', 3],
    ])
    expect(data.byRecipient.map((r: Row) => [r.name, r.recipientTypeLabel, r.disclosures])).toEqual([
      ['County Hospital', 'NHS trust / foundation trust', 100],
      ['Valley NHS Trust', 'NHS trust / foundation trust', 20],
      ['City University', 'Research organisation', 8],
      ['Borough Council', 'Local authority', 6],
      ['County Police', 'Police and judicial', 4],
    ])
    expect(data.byLegalBasis.map((b: Row) => [b.legalBasis, b.label, b.disclosures])).toEqual([
      ['implied_consent', 'Implied consent for direct care', 120],
      ['s251', 's251 approval (CAG)', 6],
      ['none', 'None recorded', 5],
      ['legal_obligation', 'Legal obligation / court order', 3],
      ['explicit_consent', 'Explicit consent', 2],
      ['safeguarding_duty', 'Safeguarding duty', 2],
    ])
    expect(pairs(data.byDataLevel, 'dataLevel')).toEqual([
      ['identifiable', 128],
      ['pseudonymised', 6],
      ['anonymised', 4],
    ])
  })

  it('builds the purpose x recipient type matrix with row and column totals', async () => {
    const { matrix } = await summary()
    expect(matrix.columns).toEqual([
      { code: 'nhs_trust', label: 'NHS trust / foundation trust', total: 120, prohibited: false },
      { code: 'research_org', label: 'Research organisation', total: 8, prohibited: false },
      { code: 'local_authority', label: 'Local authority', total: 6, prohibited: false },
      { code: 'police_judicial', label: 'Police and judicial', total: 4, prohibited: false },
    ])
    expect(matrix.rows.map((r: Row) => [r.purpose, r.counts, r.total])).toEqual([
      ['direct_care', [120, 0, 0, 0], 120],
      ['research', [0, 8, 0, 0], 8],
      ['commissioning', [0, 0, 4, 0], 4],
      ['legal', [0, 0, 0, 3], 3],
      ['safeguarding', [0, 0, 2, 1], 3],
    ])
  })

  it.each([
    ['?purpose=research', 8],
    ['?purpose=research&from=2026-03-01&to=2026-03-31', 7],
    ['?recipientType=police_judicial', 4],
    ['?legalBasis=none', 5],
    ['?legalBasis=s251', 6],
    ['?dataLevel=anonymised', 4],
    ['?purpose=safeguarding&recipientType=police_judicial', 1],
    ['?from=2026-04-01', 1],
  ])('applies %s to every table, and agrees with the list count', async (query, total) => {
    const data = await summary(query)
    expect(data.total).toBe(total)
    expect(data.byRecipient.reduce((n: number, r: Row) => n + (r.disclosures as number), 0)).toBe(total)
    expect(data.byLegalBasis.reduce((n: number, r: Row) => n + (r.disclosures as number), 0)).toBe(total)
    expect(data.matrix.rows.reduce((n: number, r: Row) => n + (r.total as number), 0)).toBe(total)
    expect((await list(query)).total).toBe(total)
  })

  it('filters by recipient and names the filters in use', async () => {
    const data = await summary(`?recipient=${ids.council}&dataLevel=identifiable`)
    expect(data.total).toBe(2)
    expect(pairs(data.byPurpose, 'purpose')).toEqual([['safeguarding', 2]])
    expect(data.active).toEqual([
      { param: 'recipient', name: 'Recipient', label: 'Borough Council' },
      { param: 'dataLevel', name: 'Data level', label: 'Identifiable' },
    ])
    expect(data.form).toEqual({ recipient: String(ids.council), dataLevel: 'identifiable' })
  })

  it.each([
    ['?purpose=nonsense', 'The purpose filter is not valid: "nonsense" is not a purpose this service knows.'],
    ['?purpose=DROP%20TABLE', 'The purpose filter is not valid'],
    ['?recipientType=aliens', 'The recipient type filter is not valid'],
    ['?recipient=abc', 'The recipient filter is not valid'],
    ['?legalBasis=whim', 'The legal basis filter is not valid'],
    ['?dataLevel=secret', 'The data level filter is not valid'],
  ])('answers %s with 400 and says what is wrong', async (query, message) => {
    const response = await status(summaryLoader, `/disclosures${query}`)
    expect(response.status).toBe(400)
    expect(await response.text()).toContain(message)
  })

  it('reads the counts from the roll-ups, not from the disclosures table', async () => {
    // Roll-up rows with no disclosures behind them show on the summary only: proof of where it
    // reads. A whole month comes from the monthly roll-ups, an odd day from the daily ones. Both
    // lie months ahead (no real data there) but inside the window a period may reach.
    const ahead = (months: number, day: number) => {
      const now = new Date()
      return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + months, day)).toISOString().slice(0, 10)
    }
    const [monthStart, monthEnd, day] = [ahead(5, 1), ahead(6, 0), ahead(6, 5)]
    const month = { practice_id: A, month: monthStart, disclosures: 7 }
    const fakes: Array<[string, Record<string, unknown>]> = [
      ['disclosure_month_purpose', { ...month, purpose: 'research' }],
      ['disclosure_month_recipient', { ...month, recipient_id: ids.university }],
      ['disclosure_month_purpose_recipient_type', { ...month, purpose: 'research', recipient_type: 'research_org' }],
      ['disclosure_month_legal_basis', { ...month, legal_basis: '' }],
      ['disclosure_month_data_level', { ...month, data_level: 'anonymised' }],
      [
        'disclosure_daily',
        {
          practice_id: A,
          day,
          purpose: 'research',
          recipient_id: ids.university,
          legal_basis: '',
          data_level: 'anonymised',
          disclosures: 5,
        },
      ],
      ['disclosure_day_purpose', { practice_id: A, day, purpose: 'research', disclosures: 5 }],
      ['disclosure_day_legal_basis', { practice_id: A, day, legal_basis: '', disclosures: 5 }],
      ['disclosure_day_data_level', { practice_id: A, day, data_level: 'anonymised', disclosures: 5 }],
    ]
    for (const [table, row] of fakes) await t.db(table).insert(row)
    try {
      const wholeMonth = await summary(`?from=${monthStart}&to=${monthEnd}`)
      expect(wholeMonth.total).toBe(7)
      expect(wholeMonth.byPurpose).toEqual([expect.objectContaining({ purpose: 'research', disclosures: 7 })])
      const oddDay = await summary(`?from=${day}&to=${day}`)
      expect(oddDay.total).toBe(5)
      expect(oddDay.byPurpose).toEqual([expect.objectContaining({ purpose: 'research', disclosures: 5 })])
      expect((await list(`?from=${monthStart}`)).rows).toEqual([])
    } finally {
      for (const [table] of fakes)
        await t
          .db(table)
          .where({ practice_id: A })
          .where(table.startsWith('disclosure_month_') ? 'month' : 'day', '>=', monthStart)
          .delete()
    }
  })

  it('never shows a patient pseudonym', async () => {
    expect(JSON.stringify(await summary())).not.toMatch(/P-[A-Z]-/)
  })
})

describe('/disclosures/list', () => {
  it('pages 120 direct-care disclosures as 3 pages of 50, newest first', async () => {
    const page1 = await list('?purpose=direct_care')
    expect(page1).toMatchObject({ total: 120, pages: 3, page: 1, pageSize: 50, sort: 'occurred_at', dir: 'desc' })
    expect(page1.rows).toHaveLength(50)
    expect(page1.rows[0].occurredAt).toBe(new Date(BASE + 119 * HOUR).toISOString())
    const page2 = await list('?purpose=direct_care&page=2')
    expect(page2.rows).toHaveLength(50)
    expect(page2.rows[0].occurredAt).toBe(new Date(BASE + 69 * HOUR).toISOString())
    expect(page2.rows[49].occurredAt).toBe(new Date(BASE + 20 * HOUR).toISOString())
    const page3 = await list('?purpose=direct_care&page=3')
    expect(page3.rows).toHaveLength(20)
    expect(page3.rows[19].occurredAt).toBe(new Date(BASE).toISOString())
    const all = [...page1.rows, ...page2.rows, ...page3.rows].map((r: Row) => r.id)
    expect(new Set(all).size).toBe(120)
    expect((await list('?purpose=direct_care&page=4')).rows).toEqual([])
  })

  it('shows the columns the page needs, with the patient as a pseudonym only', async () => {
    const { rows } = await list(`?purpose=research&legalBasis=explicit_consent&sort=occurred_at&dir=asc`)
    expect(rows).toHaveLength(2)
    expect(rows[0]).toMatchObject({
      occurredAt: '2026-03-21T11:00:00.000Z',
      practiceOds: 'A81001',
      patientPseudonym: 'P-E-1',
      recipientName: 'City University',
      recipientOds: 'EE1',
      recipientTypeLabel: 'Research organisation',
      purpose: 'research',
      purposeLabel: 'Research',
      legalBasis: 'explicit_consent',
      legalBasisLabel: 'Explicit consent',
      dataLevel: 'identifiable',
      dataLevelLabel: 'Identifiable',
    })
  })

  it('sorts by date, purpose or recipient in either direction', async () => {
    const oldest = await list('?sort=occurred_at&dir=asc')
    expect(oldest.rows[0].occurredAt).toBe(new Date(BASE).toISOString())
    const byPurpose = await list('?sort=purpose&dir=asc')
    expect(byPurpose.rows.slice(0, 5).map((r: Row) => r.purpose)).toEqual([
      'commissioning',
      'commissioning',
      'commissioning',
      'commissioning',
      'legal',
    ])
    // Within one purpose, newest first.
    expect(byPurpose.rows.slice(0, 4).map((r: Row) => r.patientPseudonym)).toEqual(['P-C-4', 'P-C-3', 'P-C-2', 'P-C-1'])
    const byPurposeDesc = await list('?sort=purpose&dir=desc')
    expect(byPurposeDesc.rows.slice(0, 3).map((r: Row) => r.purpose)).toEqual(['safeguarding', 'safeguarding', 'safeguarding'])
    const byRecipient = await list('?sort=recipient')
    expect(byRecipient.dir).toBe('asc')
    expect(byRecipient.rows.slice(0, 7).map((r: Row) => r.recipientName)).toEqual([...Array(6).fill('Borough Council'), 'City University'])
    const byRecipientDesc = await list('?sort=recipient&dir=desc&page=1')
    expect(byRecipientDesc.rows[0].recipientName).toBe('Valley NHS Trust')
  })

  it.each([
    ['?sort=patient_pseudonym', 'The list options are not valid'],
    ['?sort=occurred_at;DROP', 'The list options are not valid'],
    ['?dir=sideways', 'The list options are not valid'],
    ['?page=0', 'The list options are not valid'],
    ['?page=two', 'The list options are not valid'],
  ])('answers %s with 400', async (query, message) => {
    const response = await status(listLoader, `/disclosures/list${query}`)
    expect(response.status).toBe(400)
    expect(await response.text()).toContain(message)
  })
})

describe('/disclosures/:id', () => {
  it("shows a disclosure with its source record's provenance and the agreement relied on", async () => {
    const id = await idOf(A, 'R1')
    const { disclosure, agreement } = await detail(String(id))
    expect(disclosure).toMatchObject({
      id,
      practiceOds: 'A81001',
      practiceName: 'Riverside Surgery',
      patientPseudonym: 'P-A-7',
      recipientName: 'City University',
      purpose: 'research',
      purposeCode: 'HRESCH',
      legalBasisLabel: 's251 approval (CAG)',
      dataLevel: 'pseudonymised',
      dataDescription: 'Coded diagnoses, 2020-2025',
      disclosedByRole: 'Practice manager',
      disclosedBy: 'staff-17',
      sourceName: 'Riverside FHIR',
      sourceKind: 'fhir',
      sourceRecordId: 'R1',
      sourceVersion: '3',
      runId,
      runJobName: 'collect',
      agreementId,
    })
    expect(Date.parse(disclosure.collectedAt)).toBeGreaterThan(Date.now() - 3_600_000)
    expect(agreement).toMatchObject({
      reference: 'DSA-UNI-2026',
      recipientName: 'City University',
      dataLevel: 'pseudonymised',
      validFrom: '2026-01-01',
      validTo: '2026-12-31',
      purposes: ['Research'],
      sameRecipient: true,
      coversPurpose: true,
      coversPractice: true,
      inForce: true,
    })
  })

  it("lists the patient's other disclosures and overrides in the viewer's practices only", async () => {
    const id = await idOf(A, 'R1')
    const { others, overrides } = await detail(String(id))
    // P-A-7: direct care i = 7, 47, 87 in A (the B disclosure and B override are not shown).
    expect(others.total).toBe(3)
    expect(others.items.map((o: Row) => o.occurredAt)).toEqual([87, 47, 7].map((i) => new Date(BASE + i * HOUR).toISOString()))
    expect(others.items.every((o: Row) => o.practiceOds === 'A81001')).toBe(true)
    expect(overrides.total).toBe(1)
    expect(overrides.items[0]).toMatchObject({ practiceOds: 'A81001', kind: 'break_glass', reasonCode: 'OVRER', reviewed: false })
    // Someone who holds both practices sees both.
    const icb = await signedInUser(context(), 'practice_manager', ['A81001', 'B82002'])
    const both = await detail(String(id), '', icb)
    expect(both.others.total).toBe(4)
    expect(both.overrides.total).toBe(2)
  })

  it('says when the named agreement does not cover the disclosure, or is not recorded', async () => {
    const identifiable = await detail(String(await idOf(A, 'EC1')))
    expect(identifiable.agreement).toMatchObject({ coversPurpose: true, inForce: true })
    expect(identifiable.disclosure.dataLevel).toBe('identifiable') // the agreement allows pseudonymised only
    const missing = await detail(String(await idOf(A, 'EC2')))
    expect(missing.disclosure.agreementId).toBe(999_999)
    expect(missing.agreement).toBeNull()
    const none = await detail(String(await idOf(A, 'L1')))
    expect(none.disclosure.agreementId).toBeNull()
    expect(none.agreement).toBeNull()
  })

  it.each(['abc', '0', '-1', '1e3', '12.5', '99999999', '999999999999999999999'])('answers id %s with 404', async (id) => {
    const response = await status(detailLoader, `/disclosures/${id}`, guardian, { id })
    expect(response.status).toBe(404)
  })
})

describe('practice scoping', () => {
  it("never counts or lists another practice's disclosures", async () => {
    const data = await summary()
    expect(data.total).toBe(138)
    const text = JSON.stringify(data)
    expect(text).not.toContain('Acme Marketing')
    expect(data.vocabulary.recipients.map((r: Row) => r.label)).not.toContain('Acme Marketing')
    const all = await list('?sort=occurred_at')
    expect(all.total).toBe(138)
    const csvText = await (await csv()).text()
    expect(csvText).not.toContain('B82002')
    expect(csvText).not.toContain('Acme')
    expect(parseCsv(csvText)).toHaveLength(139)
  })

  it("filters by another practice's recipient as nothing, without naming it", async () => {
    const data = await summary(`?recipient=${ids.acme}`)
    expect(data.total).toBe(0)
    expect(data.active[0].label).toBe(`Recipient no. ${ids.acme} (none in this period)`)
    expect((await list(`?recipient=${ids.acme}`)).total).toBe(0)
  })

  it("answers 404 for another practice's disclosure and for ?practice=B82002", async () => {
    const theirs = String(await idOf(B, 'bm-0'))
    expect((await status(detailLoader, `/disclosures/${theirs}`, guardian, { id: theirs })).status).toBe(404)
    expect((await status(summaryLoader, '/disclosures?practice=B82002')).status).toBe(404)
    expect((await status(listLoader, '/disclosures/list?practice=B82002')).status).toBe(404)
    expect((await status(csvLoader, '/disclosures.csv?practice=B82002')).status).toBe(404)
    expect((await status(summaryCsvLoader, '/disclosures/summary.csv?practice=B82002')).status).toBe(404)
  })

  it('lets a user of both practices see both, and narrow to one (a record outside the narrowing is 404)', async () => {
    const icb = await signedInUser(context(), 'practice_manager', ['A81001', 'B82002'])
    expect((await summary('', icb)).total).toBe(146)
    const b = await summary('?practice=B82002', icb)
    expect(b.total).toBe(8)
    // A prohibited purpose comes first whatever its count, and so does the recipient that got it.
    expect(pairs(b.byPurpose, 'purpose')).toEqual([
      ['marketing', 2],
      ['direct_care', 6],
    ])
    expect(b.byPurpose[0].prohibited).toBe(true)
    expect(b.byRecipient[0].prohibitedDisclosures).toBe(2)
    expect(b.byRecipient.slice(1).every((r: { prohibitedDisclosures: number }) => r.prohibitedDisclosures === 0)).toBe(true)
    // Filtered to a purpose, a recipient's prohibited count is of that purpose only.
    expect((await summary('?practice=B82002&purpose=marketing', icb)).byRecipient[0].prohibitedDisclosures).toBe(2)
    const directCare = await summary('?practice=B82002&purpose=direct_care', icb)
    expect(directCare.byRecipient.every((r: { prohibitedDisclosures: number }) => r.prohibitedDisclosures === 0)).toBe(true)
    expect(b.matrix.rows[0].purpose).toBe('marketing')
    expect(b.matrix.columns[0].prohibited).toBe(true)
    expect((await list('?practice=B82002', icb)).total).toBe(8)
    const mine = String(await idOf(A, 'R1'))
    expect((await detail(mine, '', icb)).disclosure.id).toBe(Number(mine))
    expect((await status(detailLoader, `/disclosures/${mine}?practice=B82002`, icb, { id: mine })).status).toBe(404)
  })

  it.each(['practice_manager', 'auditor', 'admin'] as const)('lets a %s read every page (no actions here)', async (role) => {
    const user = await signedInUser(context(), role, ['A81001'])
    expect((await summary('', user)).total).toBe(role === 'admin' ? 146 : 138)
    expect((await list('?purpose=legal', user)).total).toBe(3)
    expect((await detail(String(await idOf(A, 'L1')), '', user)).disclosure.sourceRecordId).toBe('L1')
    expect((await csv('?purpose=legal', user)).status).toBe(200)
  })
})

describe('CSV exports', () => {
  it('exports exactly the rows the list shows, in the same order, and logs the export', async () => {
    const query = '?purpose=direct_care&sort=recipient&dir=desc'
    const response = await csv(query)
    expect(response.status).toBe(200)
    expect(response.headers.get('Content-Type')).toBe('text/csv; charset=utf-8')
    expect(response.headers.get('Content-Disposition')).toMatch(/^attachment; filename="disclosures_[A-Za-z0-9-]+_[a-z0-9_-]+\.csv"$/)
    const [header, ...rows] = parseCsv(await response.text())
    expect(header).toEqual([
      'id',
      'occurred_at',
      'occurred_at_uk',
      'practice',
      'patient_pseudonym',
      'recipient_id',
      'recipient',
      'recipient_ods',
      'recipient_type',
      'purpose',
      'legal_basis',
      'data_level',
      'data_description',
    ])
    const listed: Json[] = []
    for (let page = 1; page <= 3; page++) listed.push(...(await list(`${query}&page=${page}`)).rows)
    expect(rows.map((r) => Number(r[0]))).toEqual(listed.map((r: Row) => r.id))
    const first = listed[0] as Json
    expect(rows[0]).toEqual([
      String(first.id),
      first.occurredAt,
      expect.stringMatching(/^2026-03-\d{2} \d{2}:\d{2}:\d{2}$/),
      'A81001',
      first.patientPseudonym,
      String(ids.trust),
      'Valley NHS Trust',
      'RX2',
      'nhs_trust',
      'direct_care',
      'implied_consent',
      'identifiable',
      '',
    ])
    const log = await t
      .db('access_log')
      .where({ user_id: guardian.id, action: 'export', target: '/disclosures.csv' })
      .orderBy('id', 'desc')
      .first()
    expect(log.outcome).toBe('ok')
    expect(log.detail).toEqual({ filters: { purpose: 'direct_care', sort: 'recipient', dir: 'desc' }, rows: 120 })
  })

  it('shows dates in UK time: 23:30 UTC on 31 March is 00:30 on 1 April (BST)', async () => {
    const source = await t.db('sources').where({ name: 'Riverside FHIR' }).first()
    await upsertDisclosures(t.db, [
      {
        practice_id: A,
        source_id: source.id,
        source_record_id: 'late',
        source_version: '1',
        occurred_at: '2026-03-31T23:30:00Z',
        patient_pseudonym: 'P-LATE',
        recipient_id: ids.police,
        purpose: 'legal',
        purpose_code: null,
        legal_basis: 'legal_obligation',
        data_level: 'identifiable',
        data_description: 'Notes, "full" record, 2025',
        disclosed_by_role: null,
        disclosed_by: null,
        run_id: null,
      },
    ])
    const text = await (await csv('?from=2026-04-01&to=2026-04-01&purpose=legal')).text()
    expect(text).toContain('2026-03-31T23:30:00.000Z,2026-04-01 00:30:00,A81001,P-LATE,')
    expect(text).toContain('"Notes, ""full"" record, 2025"')
    expect((await summary('?from=2026-04-01&to=2026-04-01')).total).toBe(1)
    expect((await summary('?from=2026-03-31&to=2026-03-31')).total).toBe(0)
    await t.db('disclosures').where({ source_record_id: 'late' }).delete()
  })

  it('exports the summary counts, every combination once, and logs it', async () => {
    const response = await respond(() =>
      summaryCsvLoader({
        request: get('/disclosures/summary.csv?from=2026-03-01&to=2026-03-31', guardian),
        params: {},
        context: context(),
      }),
    )
    expect(response.status).toBe(200)
    const [header, ...rows] = parseCsv(await response.text())
    expect(header).toEqual([
      'purpose',
      'purpose_label',
      'recipient_type',
      'recipient_type_label',
      'recipient_id',
      'recipient',
      'recipient_ods',
      'legal_basis',
      'data_level',
      'disclosures',
    ])
    expect(rows.reduce((n, r) => n + Number(r[9]), 0)).toBe(137)
    expect(rows.map((r) => [r[0], r[5], r[7], r[8], r[9]])).toEqual([
      ['commissioning', 'Borough Council', 'none', 'anonymised', '4'],
      ['direct_care', 'County Hospital', 'implied_consent', 'identifiable', '100'],
      ['direct_care', 'Valley NHS Trust', 'implied_consent', 'identifiable', '20'],
      ['legal', 'County Police', 'legal_obligation', 'identifiable', '3'],
      ['research', 'City University', 'explicit_consent', 'identifiable', '2'],
      ['research', 'City University', 's251', 'pseudonymised', '5'],
      ['safeguarding', 'Borough Council', 'safeguarding_duty', 'identifiable', '2'],
      ['safeguarding', 'County Police', 'none', 'identifiable', '1'],
    ])
    const log = await t.db('access_log').where({ user_id: guardian.id, target: '/disclosures/summary.csv' }).first()
    expect(log).toMatchObject({ action: 'export', outcome: 'ok', detail: { filters: { from: '2026-03-01', to: '2026-03-31' }, rows: 8 } })
  })

  it('refuses an export of more than 100,000 rows with 400 and a way forward, and writes no file', async () => {
    const C = (await ensurePractice(t.db, { odsCode: 'C83003', name: 'Big Practice' })).id
    const source = await addSource(t.db, { practiceId: C, kind: 'fhir', name: 'Big FHIR', baseUrl: 'http://127.0.0.1:3/fhir' })
    await t.db.raw(
      `INSERT INTO disclosures (practice_id, source_id, source_record_id, occurred_at, patient_pseudonym, recipient_id, purpose, data_level)
       SELECT ?, ?, 'big-' || g, timestamptz '2026-03-01 00:00Z' + g * interval '1 minute', 'P-BIG-' || (g % 500), ?, 'direct_care', 'identifiable'
         FROM generate_series(1, 100001) g`,
      [C, source.id, ids.hospital],
    )
    const big = await signedInUser(context(), 'practice_manager', ['C83003'])
    const before: Json = await t.db('access_log').where({ user_id: big.id, action: 'export' }).count('* as n').first()
    const response = await csv('', big)
    expect(response.status).toBe(400)
    expect(await response.text()).toBe(
      'These filters match 100,001 disclosures; one CSV file can hold at most 100,000. Choose a shorter period or more filters and download again.',
    )
    const after: Json = await t.db('access_log').where({ user_id: big.id, action: 'export' }).count('* as n').first()
    expect(after.n).toBe(before.n)
    // One row fewer is allowed.
    const narrowed = await csv('?to=2026-04-30', big)
    expect(narrowed.status).toBe(200)
    const narrowedTotal = (await list('?to=2026-04-30', big)).total
    expect(narrowedTotal).toBe(61 * 24 * 60 - 60 - 1) // one a minute from 1 Mar 00:01 UTC until midnight BST, 30 Apr 23:00 UTC
    expect((await narrowed.text()).trimEnd().split('\r\n')).toHaveLength(1 + narrowedTotal)
    // The pages know the limit too, and offer no download link beyond it.
    expect((await list('', big)).csvLimit).toBe(100_000)
    expect(await summary('', big)).toMatchObject({ total: 100_001, csvLimit: 100_000 })
  })
})
