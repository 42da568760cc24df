import { describe, expect, it } from 'vitest'
import { listFindingEvents } from '../../../db/queries/findings.js'
import { useTestDatabase } from '../../support/db.js'
import { seedChainedDisclosures } from '../../support/ledger-seed.js'

// The 1M-disclosure evidence pack asked for the history of 200,000 findings at once and failed:
// one bind parameter per id is over PostgreSQL's 65,535. The ids now travel as one array.

const t = useTestDatabase()

describe('listFindingEvents', () => {
  it('reads the history of more findings than a statement can bind parameters', async () => {
    const { practiceId } = await seedChainedDisclosures(t.db, 1)
    const [f] = await t
      .db('findings')
      .insert({ rule_id: 'no_agreement', severity: 'medium', practice_id: practiceId, subject_key: 'disclosure:1', summary: 'x' })
      .returning('id')
    await t.db('finding_events').insert({ finding_id: f.id, from_status: null, to_status: 'open', reason: 'found' })
    const ids = [Number(f.id), ...Array.from({ length: 70_000 }, (_, i) => 1_000_000 + i)]
    const events = await listFindingEvents(t.db, ids)
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({ findingId: Number(f.id), toStatus: 'open' })
  })
})
