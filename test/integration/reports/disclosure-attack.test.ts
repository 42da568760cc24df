import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { solve, type Coefficients, type Constraint } from 'yalps'
import { ensureOrganisation } from '../../../db/queries/organisations.js'
import { ensurePractice } from '../../../db/queries/practices.js'
import { upsertDisclosures, upsertPatientChoices, type DisclosureRecord } from '../../../db/queries/records.js'
import { addSource } from '../../../db/queries/sources.js'
import { collect } from '../../../jobs/collect.js'
import { importNdopFile } from '../../../jobs/import-ndop.js'
import { generateDataset, ndopCsv } from '../../../simulator/data.js'
import { startSimulator, type RunningSimulator } from '../../../simulator/server.js'
import { NO_DATA, standardSetTables, type CommissionerTables } from '../../../reports/commissioner-set.js'
import { printedRows } from '../../../reports/commissioner.js'
import { generateReport } from '../../../reports/index.js'
import { testConfig } from '../../support/config.js'
import { useTestDatabase } from '../../support/db.js'
import { directOptOutCount } from '../../support/opt-outs.js'
import { rng } from '../../support/random.js'
import { pdfPages } from './fixtures.js'

// The attack an ICB analyst could make (issue 15, defect 4): take every figure published in the
// standard set it receives (each practice's four quarterly reports and its annual report, and the
// ICB roll-up for the same five periods), write them down as an integer programme (a published v
// is a count in v-2..v+2, 0 and "no data" are 0, a "*" hiding a small count is 1..7 (the attacker
// is even told which stars those are), any other "*" is at least 1; every total is the sum of
// its parts) and compute, for each hidden small count, the least and greatest value it can take.
// Every one must still be able to be anything from 1 to 7, unless the pattern of stars alone
// already bounds it (a hidden total of 1..7 split into several hidden parts: the residual risk in
// docs/decisions/021). The programme is built here from the printed tables' figure keys (its
// own atoms: purposes and recipient types per practice and quarter, disclosures per practice and
// month), with the truth counted straight from `disclosures` and `patient_choices`,
// independently of reports/commissioner-set.ts.

const t = useTestDatabase()
let sim: RunningSimulator
let tmp: string
const NOW = new Date()

type Pub = number | null | typeof NO_DATA

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-attack-'))
  // The demo's data: three simulated practices of one ICB, collected as the demo does.
  sim = await startSimulator({ port: 0, practices: 3, seed: 1 })
  const dataset = generateDataset({ practices: 3, seed: 1 })
  for (const p of sim.practices) {
    const practice = await ensurePractice(t.db, { odsCode: p.odsCode, name: p.name, icbCode: p.icbCode, icbName: 'Simulated ICB' })
    await t.db('practices').where({ id: practice.id }).update({ list_size: p.listSize, list_size_as_of: '2026-10-01' })
    await addSource(t.db, { practiceId: practice.id, kind: 'fhir', name: `${p.name} clinical system`, baseUrl: p.fhirBaseUrl })
  }
  const deps = { db: t.db, target: { kind: 'postgres' as const, url: t.url }, config: testConfig(t.url) }
  const file = path.join(tmp, 'NDOP_reg_geog_Nov_2026.csv')
  fs.writeFileSync(file, ndopCsv(dataset, { achDate: '2026-11-01' }))
  expect((await importNdopFile(deps, file)).status).toBe('completed')
  expect((await collect(deps, { all: true })).map((r) => r.status)).toEqual(['completed', 'completed', 'completed'])
  await seedAdversarial()
}, 300_000)
afterAll(async () => {
  await sim?.close()
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true })
})

/** Three practices of another ICB in the 2025/26 financial year with many small cells (and a few quarters that are tiny in total). */
async function seedAdversarial(): Promise<void> {
  const random = rng(15)
  const types: Array<[string, string]> = [
    ['Adv Trust', 'nhs_trust'],
    ['Adv Research', 'research_org'],
    ['Adv Police', 'police_judicial'],
    ['Adv Council', 'local_authority'],
  ]
  const orgs = []
  for (const [name, type] of types) orgs.push(await ensureOrganisation(t.db, { odsCode: null, name, recipientType: type }))
  const purposes = ['direct_care', 'research', 'safeguarding', 'legal', 'commissioning']
  let n = 0
  for (let pi = 0; pi < 3; pi++) {
    const ods = `Z9000${pi + 1}`
    const p = await ensurePractice(t.db, {
      odsCode: ods,
      name: `Adversarial Surgery ${pi + 1}`,
      icbCode: 'QZZ',
      icbName: 'Adversarial ICB',
    })
    await t
      .db('practices')
      .where({ id: p.id })
      .update({ list_size: 3000 + pi * 1500, list_size_as_of: '2026-01-01' })
    const s = await addSource(t.db, { practiceId: p.id, kind: 'fhir', name: `${ods} FHIR`, baseUrl: `http://127.0.0.1:1/${ods}/fhir` })
    const records: DisclosureRecord[] = []
    for (let m = 0; m < 12; m++) {
      const month = new Date(Date.UTC(2025, 3 + m, 1))
      const ym = month.toISOString().slice(0, 7)
      // practice 3 is tiny in its second quarter; otherwise a few cells per month, most of them small
      const cells = pi === 2 && m >= 3 && m < 6 ? (m === 4 ? 1 : 0) : 1 + Math.floor(random() * 4)
      for (let c = 0; c < cells; c++) {
        const purpose = purposes[Math.floor(random() * purposes.length)]!
        const org = orgs[Math.floor(random() * orgs.length)]!
        const count = random() < 0.25 ? 8 + Math.floor(random() * 30) : 1 + Math.floor(random() * 7)
        for (let i = 0; i < count; i++) {
          n++
          records.push({
            practice_id: p.id,
            source_id: s.id,
            source_record_id: `adv-${n}`,
            source_version: '1',
            occurred_at: `${ym}-${String(1 + (n % 27)).padStart(2, '0')}T12:00:00Z`,
            patient_pseudonym: `PSN-ADV-${n % 50}`,
            recipient_id: org,
            purpose,
            purpose_code: null,
            legal_basis: null,
            data_level: 'identifiable',
            data_description: 'Adversarial test disclosure',
            disclosed_by_role: 'GP',
            disclosed_by: 'staff-1',
            run_id: null,
          } as DisclosureRecord)
        }
      }
    }
    await upsertDisclosures(t.db, records)
    const choices = []
    for (let i = 0; i < [3, 11, 6][pi]!; i++) {
      choices.push({
        practice_id: p.id,
        source_id: s.id,
        source_record_id: `adv-cn-${pi}-${i}`,
        source_version: '1',
        patient_pseudonym: `PSN-ADV-OPT-${pi}-${i}`,
        kind: (i % 3 === 0 ? 'type1' : 'ndop') as 'ndop' | 'type1',
        decision: 'deny' as const,
        effective_at: `2025-${String(4 + (i % 9)).padStart(2, '0')}-10T00:00:00Z`,
        code_system: null,
        code: null,
        status: 'active' as const,
        run_id: null,
      })
    }
    await upsertPatientChoices(t.db, choices)
    await t.db('job_runs').insert({
      job_name: 'collect-fhir',
      source_id: s.id,
      trigger: 'schedule',
      status: 'completed',
      started_at: '2026-04-02T02:00:00Z',
      finished_at: '2026-04-02T02:05:00Z',
    })
  }
}

// ---- the attacker's view

interface Figure {
  key: string
  kind: string
  practices: number[]
  from: string
  to: string
  code?: string
}

function parseKey(key: string): Figure {
  const [kind, ids, a, b, code] = key.split('|') as [string, string, string, string?, string?]
  const practices = ids.split('+').map(Number)
  if (kind === 'ON' || kind === 'OY') return { key, kind, practices, from: a, to: a }
  return { key, kind, practices, from: a, to: b!, code }
}

/** Every figure the set prints (and every purpose or recipient type a table leaves out, which reads as 0); one key prints one value everywhere. */
function publishedFigures(tables: CommissionerTables[]): Map<string, Pub> {
  const out = new Map<string, Pub>()
  const put = (key: string, value: Pub) => {
    if (out.has(key)) expect(out.get(key), `${key} printed twice with different values`).toEqual(value)
    out.set(key, value)
  }
  const purposes = new Set(tables.flatMap((x) => x.byPurpose.rows.map((r) => r.code)))
  const types = new Set(tables.flatMap((x) => x.byType.rows.map((r) => r.code)))
  for (const x of tables) {
    const ids = x.spec.practiceIds.join('+')
    for (const [rows, all, kind] of [
      [x.byPurpose.rows, purposes, 'U'],
      [x.byType.rows, types, 'R'],
    ] as const) {
      if (!x.noData) for (const r of rows) put(r.cell.key, r.cell.value)
      const printed = new Set(x.noData ? [] : rows.map((r) => r.code))
      for (const c of all) if (!printed.has(c)) put(`${kind}|${ids}|${x.spec.from}|${x.spec.to}|${c}`, 0)
    }
    put(x.byPurpose.total.key, x.byPurpose.total.value)
    put(x.byType.total.key, x.byType.total.value)
    for (const c of [...x.byMonth.cells.flat(), ...x.byMonth.rowTotals, ...x.byMonth.columnTotals, x.byMonth.grandTotal])
      put(c.key, c.value)
    for (const r of x.optOuts.rows) {
      put(r.ndop.key, r.ndop.value)
      put(r.type1.key, r.type1.value)
    }
    if (x.optOuts.total) {
      put(x.optOuts.total.ndop.key, x.optOuts.total.ndop.value)
      put(x.optOuts.total.type1.key, x.optOuts.total.type1.value)
    }
  }
  return out
}

interface Row {
  p: number
  day: string
  purpose: string
  type: string
  n: number
}

/** The true count behind every key, counted straight from the raw rows (and the rows, for the attacker's starting point). */
async function truths(keys: string[]): Promise<{ truth: Map<string, number>; rows: Row[]; optOuts: Map<string, number> }> {
  const figures = keys.map(parseKey)
  const ids = [...new Set(figures.flatMap((f) => f.practices))]
  const { rows } = await t.db.raw(
    `SELECT d.practice_id AS p, to_char((d.occurred_at AT TIME ZONE 'Europe/London')::date, 'YYYY-MM-DD') AS day, d.purpose, o.recipient_type AS type, count(*)::int AS n
       FROM disclosures d JOIN organisations o ON o.id = d.recipient_id
      WHERE d.practice_id = ANY(?) GROUP BY 1, 2, 3, 4`,
    [ids],
  )
  const out = new Map<string, number>()
  const optOuts = new Map<string, number>()
  for (const f of figures) {
    if (f.kind === 'ON' || f.kind === 'OY') {
      let n = 0
      for (const p of f.practices) {
        const c = (await directOptOutCount(t.db, p, f.from))[f.kind === 'ON' ? 'ndop' : 'type1']
        optOuts.set(`o ${f.kind} ${p} ${f.from}`, c)
        n += c
      }
      out.set(f.key, n)
      continue
    }
    out.set(
      f.key,
      (rows as Array<{ p: number; day: string; purpose: string; type: string; n: number }>)
        .filter(
          (r) =>
            f.practices.includes(Number(r.p)) &&
            r.day >= f.from &&
            r.day <= f.to &&
            (f.kind !== 'U' || r.purpose === f.code) &&
            (f.kind !== 'R' || r.type === f.code),
        )
        .reduce((s, r) => s + r.n, 0),
    )
  }
  return { truth: out, rows: (rows as Row[]).map((r) => ({ ...r, p: Number(r.p) })), optOuts }
}

const addDay = (d: string) => new Date(Date.parse(`${d}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)

/**
 * The attacker's integer programme over the published figures, solved for one figure's least
 * and greatest value. Atoms are written as true value + up - down (down at most the true value),
 * so the solver starts from a feasible point (the truth); the feasible set is unchanged.
 */
class Attacker {
  private columns = new Map<string, Array<[string, number]>>()
  private terms = new Map<string, string[]>()
  private base = new Map<string, number>()
  private rows: string[] = []
  private caps = new Map<string, number>()

  constructor(keys: string[], raw: Row[], optOuts: Map<string, number>) {
    const figures = keys.map(parseKey)
    const split = (kinds: string[]) => {
      const cuts = new Set<string>()
      for (const f of figures.filter((x) => kinds.includes(x.kind))) cuts.add(f.from).add(addDay(f.to))
      const s = [...cuts].sort()
      return s.slice(0, -1).map((from, i) => ({ from, to: s[i + 1]! }))
    }
    const coarse = split(['U', 'R']) // purpose and type figures cover these whole intervals
    const fine = split(['T']) // months (and any total's interval)
    const codes = (kind: string) => [...new Set(figures.filter((f) => f.kind === kind).map((f) => f.code!))]
    const purposes = codes('U')
    const types = codes('R')
    const practices = [...new Set(figures.flatMap((f) => f.practices))]
    const inside = (iv: { from: string; to: string }, f: { from: string; to: string }) => iv.from >= f.from && iv.to <= addDay(f.to)
    // the truth of each atom, from the raw rows
    const truth = new Map<string, number>(optOuts)
    const inc = (k: string, n: number) => truth.set(k, (truth.get(k) ?? 0) + n)
    for (const r of raw) {
      const c = coarse.find((iv) => r.day >= iv.from && r.day < iv.to)
      const z = fine.find((iv) => r.day >= iv.from && r.day < iv.to)
      if (c) {
        inc(`x ${r.p} ${c.from} ${r.purpose}`, r.n)
        inc(`y ${r.p} ${c.from} ${r.type}`, r.n)
      }
      if (z) inc(`z ${r.p} ${z.from}`, r.n)
    }
    const put = (atom: string, row: string, coef: number) => {
      for (const [name, sign] of [
        [`+ ${atom}`, 1],
        [`- ${atom}`, -1],
      ] as const) {
        if (sign < 0 && !(truth.get(atom)! > 0)) continue
        let c = this.columns.get(name)
        if (!c) this.columns.set(name, (c = []))
        c.push([row, coef * sign])
      }
    }
    for (const f of figures) {
      let terms: string[]
      if (f.kind === 'U') terms = f.practices.flatMap((p) => coarse.filter((c) => inside(c, f)).map((c) => `x ${p} ${c.from} ${f.code}`))
      else if (f.kind === 'R')
        terms = f.practices.flatMap((p) => coarse.filter((c) => inside(c, f)).map((c) => `y ${p} ${c.from} ${f.code}`))
      else if (f.kind === 'T') terms = f.practices.flatMap((p) => fine.filter((c) => inside(c, f)).map((c) => `z ${p} ${c.from}`))
      else terms = f.practices.map((p) => `o ${f.kind} ${p} ${f.from}`)
      expect(terms.length, f.key).toBeGreaterThan(0)
      this.terms.set(f.key, terms)
      this.base.set(
        f.key,
        terms.reduce((s, a) => s + (truth.get(a) ?? 0), 0),
      )
      for (const a of terms) put(a, f.key, 1)
    }
    // Per practice and coarse interval: its purposes, its recipient types and its days are the same disclosures.
    let links = 0
    for (const p of practices) {
      for (const c of coarse) {
        const zs = fine.filter((z) => z.from >= c.from && z.to <= c.to)
        expect(
          zs.reduce((s, z) => s + (Date.parse(z.to) - Date.parse(z.from)), 0),
          'months nest in quarters',
        ).toBe(Date.parse(c.to) - Date.parse(c.from))
        const link = (as: string[], bs: string[]) => {
          const name = `link ${links++}`
          this.rows.push(name)
          for (const a of as) put(a, name, 1)
          for (const b of bs) put(b, name, -1)
        }
        const xs = purposes.map((u) => `x ${p} ${c.from} ${u}`)
        link(
          xs,
          types.map((r) => `y ${p} ${c.from} ${r}`),
        )
        link(
          xs,
          zs.map((z) => `z ${p} ${z.from}`),
        )
      }
    }
    for (const [atom, n] of truth) {
      if (n > 0 && this.columns.has(`- ${atom}`)) {
        this.columns.get(`- ${atom}`)!.push([`cap ${atom}`, 1])
        this.caps.set(`cap ${atom}`, n)
      }
    }
  }

  /** The figure's true value, as the atoms add it up (checked against the direct count). */
  truthOf(key: string): number {
    return this.base.get(key)!
  }

  /** [least, greatest] integer value of `key` given what is published (null: the published figures contradict each other). */
  interval(published: Map<string, Pub>, truth: Map<string, number>, key: string): [number, number] | null {
    const constraints = new Map<string, Constraint>()
    for (const [k, v] of published) {
      const b = this.base.get(k)!
      if (v === 0 || v === NO_DATA) constraints.set(k, { equal: -b })
      else if (v !== null) constraints.set(k, { min: v - 2 - b, max: v + 2 - b })
      else constraints.set(k, truth.get(k)! <= 7 ? { min: 1 - b, max: 7 - b } : { min: 1 - b })
    }
    for (const r of this.rows) constraints.set(r, { equal: 0 })
    for (const [c, n] of this.caps) constraints.set(c, { max: n })
    const target = new Set(this.terms.get(key))
    const variables = new Map<string, Coefficients>()
    for (const [name, r] of this.columns) variables.set(name, target.has(name.slice(2)) ? [...r, ['goal', name[0] === '+' ? 1 : -1]] : r)
    const out: number[] = []
    for (const direction of ['minimize', 'maximize'] as const) {
      const s = solve({ direction, objective: 'goal', constraints, variables, integers: true })
      if (s.status === 'infeasible') return null
      expect(s.status === 'optimal' || s.status === 'unbounded', `${key} ${direction}: ${s.status}`).toBe(true)
      out.push(s.status === 'unbounded' ? Infinity : this.base.get(key)! + Math.round(s.result))
    }
    return out as [number, number]
  }
}

interface AttackResult {
  hidden: number
  narrowed: Array<{ key: string; truth: number; interval: [number, number]; starsOnly: [number, number] }>
  starsOnly: number
}

/** Attacks every hidden small count; a narrowing is a leak unless the stars alone give the same interval. */
function attack(attacker: Attacker, published: Map<string, Pub>, truth: Map<string, number>): AttackResult {
  const starsOnly = new Map<string, Pub>([...published].map(([k, v]) => [k, v === 0 || v === NO_DATA ? v : null]))
  const result: AttackResult = { hidden: 0, narrowed: [], starsOnly: 0 }
  for (const [key, v] of published) {
    if (v !== null || truth.get(key)! > 7) continue
    result.hidden++
    const iv = attacker.interval(published, truth, key)
    expect(iv, `published figures around ${key} are consistent`).not.toBeNull()
    if (iv![0] <= 1 && iv![1] >= 7) continue
    const s = attacker.interval(starsOnly, truth, key)!
    if (iv![0] <= s[0] && iv![1] >= s[1]) result.starsOnly++
    else result.narrowed.push({ key, truth: truth.get(key)!, interval: iv!, starsOnly: s })
  }
  return result
}

async function theSet(ods: string, from: string, to: string) {
  const p = await t.db('practices').where({ ods_code: ods }).first('id')
  const set = await standardSetTables(t.db, { practiceIds: [p.id], from, to }, NOW)
  const published = publishedFigures(set.tables)
  const { truth, rows, optOuts } = await truths([...published.keys()])
  const attacker = new Attacker([...published.keys()], rows, optOuts)
  for (const [k, n] of truth) expect(attacker.truthOf(k), k).toBe(n)
  return { set, published, truth, attacker }
}

function checkPublishedAgainstTruth(published: Map<string, Pub>, truth: Map<string, number>): void {
  for (const [k, v] of published) {
    const n = truth.get(k)!
    if (v === NO_DATA) expect(n, `${k} no data`).toBe(0)
    else if (v === null) expect(n, `${k} hidden`).toBeGreaterThan(0)
    else if (n === 0) expect(v, k).toBe(0)
    else expect(Math.abs(v - n), `${k}: ${v} for ${n}`).toBeLessThanOrEqual(2)
    if (n >= 1 && n <= 7) expect(v, `${k} is a small count`).toBeNull()
  }
}

describe('disclosure control against an attack on the standard set', () => {
  for (const [name, ods, from, to] of [
    ['the demo data (simulator)', '', '2026-07-01', '2026-09-30'],
    ['an adversarial dataset with many small cells', 'Z90001', '2025-04-01', '2025-06-30'],
  ] as const) {
    it(`leaves every hidden small count anywhere in 1..7 on ${name}`, async () => {
      const practice = ods || sim.practices[0]!.odsCode
      const { set, published, truth, attacker } = await theSet(practice, from, to)
      // each practice's four quarters and its year, and the ICB roll-up of the same five periods
      expect(set.tables.length).toBe(20)
      expect(set.tables.filter((x) => x.practices.length === 3)).toHaveLength(5)
      checkPublishedAgainstTruth(published, truth)
      const hiddenSmall = [...published].filter(([k, v]) => v === null && truth.get(k)! <= 7).length
      expect(hiddenSmall).toBeGreaterThan(ods ? 40 : 5)
      if (!ods)
        expect([...published.values()].filter((v) => v === NO_DATA).length, 'months outside collection print "no data"').toBeGreaterThan(0)

      const r = attack(attacker, published, truth)
      console.log(
        `${name}: ${published.size} figures, ${r.hidden} hidden small counts, ${set.decisions.standard.complementary.size} complementary, ` +
          `${r.starsOnly} bounded by the stars alone; decided in ${Math.round(set.decisions.standard.ms)} ms (${set.decisions.standard.solves} LP solves)`,
      )
      if (process.env.DC_DEBUG) {
        console.log('complementary', [...set.decisions.standard.complementary].map((k) => `${k}=${truth.get(k)}`).join('\n'))
        console.log(
          'primary',
          [...published]
            .filter(([k, v]) => v === null && truth.get(k)! <= 7)
            .map(([k]) => `${k}=${truth.get(k)}`)
            .join('\n'),
        )
      }
      expect(r.narrowed).toEqual([])
      expect(r.hidden).toBe(hiddenSmall)
    }, 600_000)
  }

  it('fails when one hidden total is printed elsewhere', async () => {
    const { published, truth, attacker } = await theSet('Z90001', '2025-04-01', '2025-06-30')
    // The mistake of issue 15: a total hidden in one table printed (rounded) in another.
    const hiddenTotals = [...published].filter(([k, v]) => v === null && k.startsWith('T|') && truth.get(k)! > 7).map(([k]) => k)
    expect(hiddenTotals.length).toBeGreaterThan(0)
    let caught: string | undefined
    for (const k of hiddenTotals) {
      const leaked = new Map(published).set(k, Math.round(truth.get(k)! / 5) * 5)
      const r = attack(attacker, leaked, truth)
      if (r.narrowed.length > 0) {
        caught = `${k} printed as ${leaked.get(k)} narrows ${r.narrowed.map((n) => `${n.key} (${n.truth}) to [${n.interval.join(', ')}]`).join('; ')}`
        break
      }
    }
    console.log(caught)
    expect(caught).toBeDefined()
  }, 600_000)

  it('prints exactly these tables in the PDF (ICB roll-up and one practice, parsed back with pdftotext)', async () => {
    const ids = (await t.db('practices').where({ icb_code: 'QZZ' }).orderBy('id').pluck('id')).map(Number)
    const { set } = await theSet('Z90001', '2025-04-01', '2025-06-30')
    for (const practiceIds of [ids, [ids[0]!]]) {
      const expected = set.tables.find(
        (x) => x.spec.from === '2025-04-01' && x.spec.to === '2025-06-30' && x.spec.practiceIds.join() === practiceIds.join(),
      )!
      const file = path.join(tmp, `comm-${practiceIds.length}.pdf`)
      await generateReport(
        t.db,
        { kind: 'commissioner', practiceIds, from: '2025-04-01', to: '2025-06-30', generatedBy: 'test:attack' },
        file,
      )
      const text = pdfPages(file).join('\n')
      const rows = printedRows(expected)
      const section = (a: string, b: string) => text.slice(text.indexOf(a), text.indexOf(b, text.indexOf(a)))
      const values = (s: string) =>
        s
          .split('\n')
          .map((l) => l.trim())
          .filter((l) => /\s(\*|\d[\d,]*|no data)$/.test(l) && !/^Page \d/.test(l) && !/OFFICIAL/.test(l))
          .map((l) => /(\*|\d[\d,]*|no data)$/.exec(l)![1])
      expect(values(section('1. Disclosures by purpose', 'Disclosures by purpose (published'))).toEqual(rows.byPurpose.map((r) => r.at(-1)))
      expect(values(section('2. Disclosures by recipient type', '3. Disclosures by month'))).toEqual(rows.byType.map((r) => r.at(-1)))
      const monthLines = section('3. Disclosures by month', '4. Opt-out rates')
        .split('\n')
        .map((l) => l.trim().replace(/\s+/g, ' '))
        .filter((l) => /^(\d{4}-\d{2}|Total) /.test(l))
      expect(monthLines).toEqual(rows.byMonth.map((r) => r.join(' ')))
      const opt = section('4. Opt-out rates', 'published National Data Opt-out')
        .split('\n')
        .map((l) => l.trim().replace(/\s+/g, ' '))
      for (const r of rows.optOuts)
        expect(
          opt.find((l) => l.startsWith(r[0]!.split(' ')[0]!)),
          r[0],
        ).toMatch(
          new RegExp(
            `${r
              .slice(1)
              .join(' ')
              .replace(/[*.]/g, (c) => `\\${c}`)}$`,
          ),
        )
      expect(text).toContain(`Opt-outs as at`)
      expect(text).toContain('QZZ Adversarial ICB')
      expect(text).toContain('List size as at')
      expect(text).toContain('2026-01-01')
      expect(text).toContain('not recorded') // no NHS England publication for these practices
    }
  }, 600_000)
})
