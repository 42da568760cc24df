import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { controlledCount, showCount } from '../../../reports/disclosure-control.js'
import { generateReport, ReportError } from '../../../reports/index.js'
import { useTestDatabase } from '../../support/db.js'
import { runLedger } from '../../support/processes.js'
import { GUARDIAN, OTHER_PRACTICE, PRACTICE, seedAnnualData, YEAR, type AnnualDataset } from '../../support/annual-seed.js'
import { TEST_PSEUDONYM_KEY, TEST_SIGNING_KEY } from '../../support/test-env.js'
import { pdfPages } from './fixtures.js'

// The annual Caldicott report (issue 17, part 3): every printed figure equals a direct count of
// the raw rows after disclosure control, small counts never appear, nothing of another practice
// or of the days either side of the year, no pseudonym anywhere; one practice, at most a year.

const t = useTestDatabase()
let data: AnnualDataset
let tmp: string
let pages: string[]
let flat: string

const START = `('${YEAR.from}'::date::timestamp AT TIME ZONE 'Europe/London')`
const END = `(('${YEAR.to}'::date + 1)::timestamp AT TIME ZONE 'Europe/London')`

/** The figure printed after a label on its line (pdftotext -layout keeps a row on one line). */
function figureAfter(label: string, text = flat): string {
  const m = new RegExp(`${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s+(\\*|[\\d,]+)`).exec(text)
  if (!m) throw new Error(`no figure after "${label}"`)
  return m[1]!
}
const published = (n: number) => showCount(controlledCount(n))
/** The page a section starts on (not the contents page, which lists every title). */
const sectionPage = (title: string) => pages.find((p) => p.split('\n').some((l) => l.trim() === title))!

beforeAll(async () => {
  data = await seedAnnualData(t.db)
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-annual-'))
  const file = path.join(tmp, 'annual.pdf')
  await generateReport(
    t.db,
    { kind: 'annual', practiceIds: [data.practiceId], from: YEAR.from, to: YEAR.to, generatedBy: GUARDIAN.email, overrideReviewDays: 7 },
    file,
  )
  pages = pdfPages(file)
  flat = pages.join('\n')
}, 180_000)
afterAll(() => {
  if (tmp && !process.env.KEEP_TMP) fs.rmSync(tmp, { recursive: true, force: true })
})

describe('the annual Caldicott report', () => {
  it('prints the year’s disclosures by purpose as direct counts of the practice’s rows, after disclosure control', async () => {
    const { rows } = await t.db.raw(
      `SELECT p.label, count(*)::int AS n FROM disclosures d JOIN purposes p ON p.code = d.purpose
        WHERE d.practice_id = ? AND d.occurred_at >= ${START} AND d.occurred_at < ${END} GROUP BY p.label`,
      [data.practiceId],
    )
    const byLabel = new Map((rows as Array<{ label: string; n: number }>).map((r) => [r.label, r.n]))
    // 288 direct care, 30 research, 13 commissioning: the two just outside the year are not counted
    expect([...byLabel.values()].sort((a, b) => a - b)).toEqual([13, 30, 288])
    const section = sectionPage('2. Sharing by purpose and recipient')
    // A figure is the direct count after disclosure control, or "*" where the commissioner set
    // hides it to protect a small count elsewhere in the year's reports ...
    for (const [label, n] of byLabel) expect([published(n), '*'], label).toContain(figureAfter(label, section))
    expect(figureAfter('Direct care by the team and other providers caring for the patient', section)).toBe(published(288))
    expect(figureAfter('Total', section)).toBe(published(331))
    expect(figureAfter('Disclosures in the year')).toBe(published(331))
    // ... and it is printed exactly as the commissioner report of the same practice and year prints it
    const commissioner = path.join(tmp, 'commissioner.pdf')
    await generateReport(
      t.db,
      { kind: 'commissioner', practiceIds: [data.practiceId], from: YEAR.from, to: YEAR.to, generatedBy: 'x' },
      commissioner,
    )
    const theirs = pdfPages(commissioner).join('\n')
    for (const label of [...byLabel.keys(), 'NHS trust / foundation trust', 'Research organisation', 'ICB / ICS'])
      expect(figureAfter(label, section), label).toBe(figureAfter(label, theirs))
    const months = sectionPage('3. Sharing month by month')
    expect([published(27), '*']).toContain(figureAfter('2025-04', months))
    expect(figureAfter('2025-11', months)).toBe(published(24 + 3 + 13))
  })

  it('counts emergency access, its verdicts, timeliness and countersignatures as the raw reviews say, hiding small counts', async () => {
    const events = await t
      .db('override_events as e')
      .where('e.practice_id', data.practiceId)
      .whereNot('e.kind', 'override_stopped')
      .whereRaw(`e.occurred_at >= ${START} AND e.occurred_at < ${END}`)
      .select('e.id', 'e.occurred_at')
    const reviews = await t.db('override_reviews').whereIn(
      'override_event_id',
      events.map((e) => e.id),
    )
    const cs = await t.db('override_countersignatures')
    const verdict = (v: string) => reviews.filter((r) => r.verdict === v).length
    expect(events).toHaveLength(44)
    expect([verdict('justified'), verdict('not_justified')]).toEqual([23, 12])
    const page = sectionPage('4. Emergency access and how it was judged')
    expect(figureAfter('Justified', page)).toBe(published(23))
    expect(figureAfter('Not justified', page)).toBe(published(12))
    expect(figureAfter('Not yet reviewed', page)).toBe(published(events.length - reviews.length))
    const late = reviews.filter((r) => {
      const e = events.find((x) => x.id === r.override_event_id)!
      return new Date(r.signed_at).getTime() > new Date(e.occurred_at).getTime() + 7 * 86_400_000
    }).length
    expect(late).toBe(6)
    expect(figureAfter('First review late', page)).toBe('*') // 6: a small count
    expect(figureAfter('First review on time', page)).toMatch(/^\*$|^30$/) // 29 rounds to 30, unless hidden to protect the 6
    // countersignatures: 8 countersigned, 2 awaiting -> the 2 is hidden, and so is one more figure of that table,
    // or the total less the published countersigned would give it back
    expect(cs).toHaveLength(8)
    const csTable = page.slice(page.indexOf('countersign'))
    expect(figureAfter('Awaiting countersignature', csTable)).toBe('*')
    const stars = ['Countersigned', 'Declined by the second signer', 'Awaiting countersignature', 'Total'].filter(
      (l) => figureAfter(l, csTable) === '*',
    )
    expect(stars.length).toBeGreaterThanOrEqual(2)
    expect(figureAfter('Emergency access events')).toBe(published(44))
  })

  it('counts findings about the year by rule and status as the findings table says', async () => {
    const { rows } = await t.db.raw(
      `SELECT f.rule_id, f.status, count(*)::int AS n FROM findings f JOIN disclosures d ON f.subject_key = 'disclosure:' || d.id
        WHERE f.practice_id = ? AND d.occurred_at >= ${START} AND d.occurred_at < ${END} GROUP BY 1, 2`,
      [data.practiceId],
    )
    const counts = rows as Array<{ rule_id: string; status: string; n: number }>
    expect(counts.length).toBeGreaterThan(0)
    const page = sectionPage('5. Compliance findings')
    // the research disclosures have no agreement: one finding each, two of them accepted
    const noAgreement = counts.filter((c) => c.rule_id === 'no_agreement')
    const found = noAgreement.reduce((s, c) => s + c.n, 0)
    expect(found).toBe(30 + 13 - 13) // commissioning is covered by DSA-ICB-2024
    const line = page.split('\n').find((l) => l.trim().startsWith('No data sharing agreement in force'))!
    const accepted = noAgreement.find((c) => c.status === 'accepted')?.n ?? 0
    const open = noAgreement.find((c) => c.status === 'open')?.n ?? 0
    expect(
      line
        .trim()
        .split(/\s{2,}/)
        .slice(-4),
    ).toEqual([published(found), published(accepted), published(0), published(open)])
  })

  it('shows the opt-out trend, agreements added and expiring, the DSPT index and the sign-off box', async () => {
    const trend = sectionPage('6. Opt-out trend')
    // at the end of March 2026 every one of the 30 NDOP and 5 Type 1 choices is in force
    expect(trend).toMatch(/2026-03\s+2026-03-31\s+30\s+\*/)
    // April 2025: the 10 from before the year plus the two of April (k = 12, 24): 12 rounds to 10
    expect(trend).toMatch(/2025-04\s+2025-04-30\s+10\s+0/)
    const agreements = sectionPage('8. Data sharing agreements')
    expect(agreements).toContain('DSA-TRUST-2025')
    expect(agreements).toContain('DSA-ICB-2024')
    expect(agreements).not.toContain('DSA-OLD')
    const dspt = sectionPage('9. DSPT evidence index')
    for (const topic of ['Record of processing activities', 'Compliance with the national', 'Monitoring access to', 'Log of data security'])
      expect(dspt.toLowerCase()).toContain(topic.toLowerCase())
    const signOff = sectionPage('10. Caldicott guardian sign-off')
    expect(signOff).toContain(GUARDIAN.name)
    expect(signOff).toContain('Presented to the practice board on')
  })

  it('prints nothing about a patient and nothing of another practice', () => {
    expect(flat).not.toMatch(/PSN-/)
    expect(flat).not.toContain(OTHER_PRACTICE)
    expect(flat).not.toContain('Elsewhere Surgery')
    expect(flat).toContain(PRACTICE)
  })

  it('covers one practice and at most a year, refused before anything is written', async () => {
    const file = path.join(tmp, 'refused.pdf')
    const base = { kind: 'annual' as const, generatedBy: 'x', from: YEAR.from, to: YEAR.to }
    await expect(generateReport(t.db, { ...base, practiceIds: [data.practiceId, data.otherPracticeId] }, file)).rejects.toThrow(
      /covers one practice/,
    )
    await expect(generateReport(t.db, { ...base, practiceIds: [data.practiceId], to: '2026-04-02' }, file)).rejects.toThrow(ReportError)
    expect(fs.existsSync(file)).toBe(false)
  })

  it('is produced from the command line and verifies', async () => {
    const out = path.join(tmp, 'cli.pdf')
    const env = { DATABASE_URL: t.url, PSEUDONYM_KEY: TEST_PSEUDONYM_KEY, SIGNING_KEY: TEST_SIGNING_KEY, SCHEDULER: 'off' }
    const made = await runLedger(['report', 'annual', '--practice', PRACTICE, '--from', YEAR.from, '--to', YEAR.to, '--out', out], env)
    expect(made.code, made.stderr).toBe(0)
    const verified = await runLedger(['verify', out], env)
    expect(verified.code, verified.stderr).toBe(0)
    expect(verified.stdout).toContain('genuine: annual report')
  })
})
