import { describe, expect, it, onTestFinished } from 'vitest'
import { storableId } from '../../../core/identifiers.js'
import { up } from '../../../db/migrations/20261206090000_mask_collected_identifiers.js'
import { finishRun, startRun } from '../../../db/queries/job-runs.js'
import { ensureOrganisation } from '../../../db/queries/organisations.js'
import { ensurePractice } from '../../../db/queries/practices.js'
import { quarantineRecords, upsertDisclosures, upsertOverrideEvents } from '../../../db/queries/records.js'
import { addSource } from '../../../db/queries/sources.js'
import { useTestDatabase } from '../../support/db.js'
import { TEST_PSEUDONYM_KEY } from '../../support/test-env.js'

const t = useTestDatabase()

describe('migration 20261206090000: identifiers already collected', () => {
  it('masks numbers in stored text, reasons and errors, and gives ids the digest the collector now gives them', async () => {
    const saved = process.env.PSEUDONYM_KEY
    process.env.PSEUDONYM_KEY = TEST_PSEUDONYM_KEY
    onTestFinished(() => {
      if (saved === undefined) delete process.env.PSEUDONYM_KEY
      else process.env.PSEUDONYM_KEY = saved
    })
    const practice = await ensurePractice(t.db, { odsCode: 'A81001', name: 'Riverside Surgery' })
    const source = await addSource(t.db, { practiceId: practice.id, kind: 'fhir', name: 'FHIR', baseUrl: 'http://127.0.0.1:1/fhir' })
    const a = await ensureOrganisation(t.db, { name: 'Hospital 943 476 6044', recipientType: 'nhs_trust' })
    const b = await ensureOrganisation(t.db, { name: 'Hospital 943.476.6052', recipientType: 'nhs_trust' })
    const plain = await ensureOrganisation(t.db, { name: 'Cleveland Police', recipientType: 'police_judicial' })
    const run = await startRun(t.db, { jobName: 'collect', sourceId: source.id, trigger: 'manual', lockedBy: 'test' })
    const base = {
      practice_id: practice.id,
      source_id: source.id,
      occurred_at: '2026-03-02T09:00:00Z',
      patient_pseudonym: 'P-AAAA-BBBB-CCCC',
      purpose: 'direct_care',
      purpose_code: null,
      legal_basis: null,
      data_level: 'identifiable' as const,
      run_id: run.id,
    }
    const { purpose: _p, data_level: _l, ...override } = base
    await upsertDisclosures(t.db, [
      {
        ...base,
        source_record_id: 'ae-9434766044',
        source_version: '1',
        recipient_id: a,
        data_description: 'Letter 9434766044',
        disclosed_by: '94347 66044',
        disclosed_by_role: 'GP',
      },
      {
        ...base,
        source_record_id: 'ae-2',
        source_version: '2026-03-02 09:00',
        recipient_id: plain,
        data_description: 'Letter dated 2026-03-02 09:00',
        disclosed_by: null,
        disclosed_by_role: null,
      },
    ])
    await upsertOverrideEvents(t.db, [
      {
        ...override,
        source_record_id: 'bg-9434766044#override',
        source_version: '1',
        kind: 'break_glass',
        reason_code: null,
        purpose_code: null,
        actor_role: 'GP',
        actor: '943-476-6044',
        recipient_id: null,
        description: 'Alert 9434766044',
      },
    ])
    // Written as the old code wrote them: straight into the table, reason quoting the number.
    await t.db('quarantine').insert({
      source_id: source.id,
      record_key: '9434766044',
      resource_type: 'AuditEvent',
      reason: 'recipient ODS code "9434766044" is not valid',
      payload: '{}',
    })
    await quarantineRecords(t.db, [
      { sourceId: source.id, recordKey: 'plain-key', resourceType: 'AuditEvent', reason: 'no patient', payload: {}, runId: run.id },
    ])
    await finishRun(t.db, run.id, 'failed', 'placeholder')
    await t.db('job_runs').where({ id: run.id }).update({ error: 'failed at 943 476 6044' })

    await t.db.transaction((trx) => up(trx))

    const d = await t.db('disclosures').orderBy('id').select('source_record_id', 'source_version', 'data_description', 'disclosed_by')
    expect(d).toEqual([
      {
        source_record_id: storableId('ae-9434766044', TEST_PSEUDONYM_KEY, source.id),
        source_version: '1',
        data_description: 'Letter [NHS number removed]',
        disclosed_by: '[NHS number removed]',
      },
      {
        source_record_id: 'ae-2',
        source_version: '2026-03-02 09:00',
        data_description: 'Letter dated 2026-03-02 09:00',
        disclosed_by: null,
      },
    ])
    expect(await t.db('override_events').first('source_record_id', 'actor', 'description')).toEqual({
      source_record_id: storableId('bg-9434766044#override', TEST_PSEUDONYM_KEY, source.id),
      actor: '[NHS number removed]',
      description: 'Alert [NHS number removed]',
    })
    expect(await t.db('quarantine').orderBy('id').select('record_key', 'reason')).toEqual([
      {
        record_key: storableId('9434766044', TEST_PSEUDONYM_KEY, source.id),
        reason: 'recipient ODS code "[NHS number removed]" is not valid',
      },
      { record_key: 'plain-key', reason: 'no patient' },
    ])
    expect((await t.db('job_runs').where({ id: run.id }).first()).error).toBe('failed at [NHS number removed]')
    expect(await t.db('organisations').whereIn('id', [a, b, plain]).orderBy('id').pluck('name')).toEqual([
      'Hospital [NHS number removed]',
      `Hospital [NHS number removed] (recipient ${b})`,
      'Cleveland Police',
    ])
  })
})
