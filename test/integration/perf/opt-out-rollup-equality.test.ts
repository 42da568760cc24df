import { describe, expect, it } from 'vitest'
import { rebuildOptOutRollups } from '../../../db/opt-out-rollups.js'
import { monthlyOptOuts } from '../../../db/queries/opt-outs.js'
import { ensurePractice } from '../../../db/queries/practices.js'
import { upsertPatientChoices, type PatientChoiceRecord } from '../../../db/queries/records.js'
import { addSource } from '../../../db/queries/sources.js'
import { useTestDatabase } from '../../support/db.js'
import { directOptOutCount } from '../../support/opt-outs.js'
import { rng } from '../../support/random.js'

// The opt-outs page reads roll-ups of deny spans kept by a statement-level trigger on
// patient_choices; this proves its monthly series equals a direct "latest choice per patient
// as of the day" count over the raw choices, after late (older) choices, corrections that move
// a choice to another day, kind, decision, status or patient, deletes, a rebuild, and two
// writers of the same practice at once, for periods ending at month ends, mid-month, on the
// clock-change days and around London midnight.

const t = useTestDatabase()

const KINDS = ['ndop', 'type1', 'ndop', 'type1', 'scr', 'record_sharing'] as const
const DECISIONS = ['deny', 'deny', 'permit'] as const
const STATUSES = ['active', 'active', 'active', 'inactive'] as const
// London days around the clock changes, month ends and ordinary days; times near midnight UTC
// land on the neighbouring London day in summer.
const DAYS = [
  '2025-12-31',
  '2026-01-01',
  '2026-01-15',
  '2026-02-28',
  '2026-03-01',
  '2026-03-28',
  '2026-03-29',
  '2026-03-31',
  '2026-04-01',
  '2026-06-30',
  '2026-07-01',
  '2026-10-25',
  '2026-10-26',
  '2026-11-30',
]
const TIMES = ['00:00:00', '00:30:00', '12:00:00', '22:59:59', '23:00:00', '23:30:00']
const PERIODS: Array<[string, string]> = [
  ['2026-01-01', '2026-12-31'],
  ['2026-01-01', '2026-03-31'],
  ['2026-01-15', '2026-03-29'],
  ['2026-03-01', '2026-03-28'],
  ['2026-03-29', '2026-03-29'],
  ['2026-04-01', '2026-06-30'],
  ['2026-02-10', '2026-10-25'],
  ['2026-10-26', '2026-11-30'],
  ['2025-12-01', '2025-12-31'],
]

const directCount = (practiceId: number, asOf: string) => directOptOutCount(t.db, practiceId, asOf)

async function expectEqualToDirectCount(practiceIds: number[]) {
  let nonZero = 0
  for (const [from, to] of PERIODS) {
    const series = await monthlyOptOuts(t.db, { practiceIds, from, to })
    expect(series.length).toBe(practiceIds.length * new Set(series.map((m) => m.month)).size)
    for (const m of series) {
      const direct = await directCount(m.practiceId, m.asOf)
      expect({ practice: m.practiceId, asOf: m.asOf, ndop: m.ndop, type1: m.type1 }).toEqual({
        practice: m.practiceId,
        asOf: m.asOf,
        ...direct,
      })
      nonZero += m.ndop + m.type1
    }
  }
  // The data must make the comparison mean something.
  expect(nonZero).toBeGreaterThan(0)
}

async function rollupContents() {
  const spans = await t.db('opt_out_spans').orderBy(['practice_id', 'patient_pseudonym', 'kind', 'start_day']).select()
  const days = await t.db('opt_out_day_changes').whereNot('change', 0).orderBy(['practice_id', 'kind', 'day']).select()
  const months = await t.db('opt_out_month_changes').whereNot('change', 0).orderBy(['practice_id', 'kind', 'month']).select()
  return JSON.stringify({ spans, days, months })
}

describe('opt-out roll-ups equal a direct count over the choices', () => {
  it('after late arrivals, corrections, deletes, a rebuild and two concurrent writers', async () => {
    const random = rng(20261205)
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!
    const practices = [
      await ensurePractice(t.db, { odsCode: 'E85001', name: 'Elm' }),
      await ensurePractice(t.db, { odsCode: 'E85002', name: 'Oak' }),
    ]
    const sources = await Promise.all(
      practices.map((p) => addSource(t.db, { practiceId: p.id, kind: 'fhir', name: `FHIR ${p.name}`, baseUrl: 'http://127.0.0.1:4/fhir' })),
    )
    const ids = practices.map((p) => p.id)
    const choice = (n: number, version = '1'): PatientChoiceRecord => {
      const i = Math.floor(random() * practices.length)
      return {
        practice_id: practices[i]!.id,
        source_id: sources[i]!.id,
        source_record_id: `c-${n}`,
        source_version: version,
        patient_pseudonym: `PT-${Math.floor(random() * 25)}`,
        kind: pick(KINDS),
        decision: pick(DECISIONS),
        effective_at: `${pick(DAYS)}T${pick(TIMES)}Z`,
        code_system: null,
        code: null,
        status: pick(STATUSES),
        run_id: null,
      }
    }

    // 1. Arrivals in random order and batches: older choices often come after newer ones.
    for (let batch = 0; batch < 6; batch++) {
      await upsertPatientChoices(
        t.db,
        Array.from({ length: 40 }, (_, k) => choice(batch * 40 + k)),
      )
    }
    await expectEqualToDirectCount(ids)
    await expectEqualToDirectCount([ids[1]!])

    // 2. Corrections: new versions of 60 records, moved in day, kind, decision, status or patient.
    await upsertPatientChoices(
      t.db,
      Array.from({ length: 60 }, (_, k) => choice(k * 4, '2')),
    )
    // A correction that changes nothing else than the status of one known deny.
    const someDeny = await t.db('patient_choices').where({ decision: 'deny', status: 'active' }).whereIn('kind', ['ndop', 'type1']).first()
    await t.db('patient_choices').where({ id: someDeny.id }).update({ status: 'inactive' })
    await expectEqualToDirectCount(ids)

    // 3. Deletes (a source withdrawn, say): a third of the rows.
    await t.db('patient_choices').whereRaw('id % 3 = 0').delete()
    await expectEqualToDirectCount(ids)

    // 4. A rebuild from the raw rows gives the same roll-ups the trigger kept.
    const kept = await rollupContents()
    await rebuildOptOutRollups(t.db)
    expect(await rollupContents()).toBe(kept)

    // 5. Two writers of the same practice and patient at once: the second waits for the first
    // (advisory lock in the trigger), then recomputes from its committed rows.
    const practice = practices[0]!
    const source = sources[0]!
    const base = {
      practice_id: practice.id,
      source_id: source.id,
      source_version: '1',
      patient_pseudonym: 'PT-RACE',
      kind: 'ndop' as const,
      code_system: null,
      code: null,
      status: 'active' as const,
      run_id: null,
    }
    const first = await t.db.transaction()
    await upsertPatientChoices(first, [{ ...base, source_record_id: 'race-1', decision: 'deny', effective_at: '2026-02-01T12:00:00Z' }])
    const second = t.db.transaction(async (trx) => {
      await upsertPatientChoices(trx, [{ ...base, source_record_id: 'race-2', decision: 'permit', effective_at: '2026-05-01T12:00:00Z' }])
    })
    await new Promise((r) => setTimeout(r, 200))
    await first.commit()
    await second
    const series = await monthlyOptOuts(t.db, { practiceIds: [practice.id], from: '2026-01-01', to: '2026-06-30' })
    const race = await t.db('opt_out_spans').where({ patient_pseudonym: 'PT-RACE' }).select()
    // One deny span, from 1 Feb, ended by the permit of 1 May.
    expect(race).toHaveLength(1)
    expect(race[0].end_day).not.toBeNull()
    for (const m of series)
      expect({ asOf: m.asOf, ndop: m.ndop }).toEqual({ asOf: m.asOf, ndop: (await directCount(practice.id, m.asOf)).ndop })
  })
})
