import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { runJob, type RunnerDeps } from '../../../jobs/runner.js'
import { testConfig } from '../../support/config.js'
import { useTestDatabase } from '../../support/db.js'
import { TEST_PSEUDONYM_KEY } from '../../support/test-env.js'

const run = promisify(execFile)
const t = useTestDatabase()
const deps = (): RunnerDeps => ({ db: t.db, target: { kind: 'postgres', url: t.url }, config: testConfig(t.url) })

describe('job runner', () => {
  it('records a run with its counts and end state', async () => {
    const outcome = await runJob(deps(), { jobName: 'count', sourceId: null, trigger: 'manual' }, async (ctx) => {
      await ctx.commitBatch(async () => ({ read: 3, inserted: 2, updated: 0, duplicates: 1, quarantined: 0 }))
      await ctx.commitBatch(async () => ({ read: 1, inserted: 0, updated: 0, duplicates: 0, quarantined: 1 }))
    })
    expect(outcome.status).toBe('completed')
    const row = await t.db('job_runs').where({ job_name: 'count' }).first()
    expect(row).toMatchObject({
      status: 'completed',
      read_count: 4,
      inserted_count: 2,
      duplicate_count: 1,
      quarantined_count: 1,
      error: null,
    })
    expect(row.finished_at).toBeInstanceOf(Date)
  })

  it('marks a run failed with the reason, keeping what its committed batches wrote', async () => {
    const outcome = await runJob(deps(), { jobName: 'boom', sourceId: null, trigger: 'schedule' }, async (ctx) => {
      await ctx.commitBatch(async () => ({ read: 5, inserted: 5, updated: 0, duplicates: 0, quarantined: 0 }))
      await ctx.commitBatch(async () => {
        throw new Error('source went away')
      })
    })
    expect(outcome).toMatchObject({ status: 'failed', error: 'source went away' })
    expect(await t.db('job_runs').where({ job_name: 'boom' }).first()).toMatchObject({
      status: 'failed',
      read_count: 5,
      trigger: 'schedule',
    })
  })

  it('stops as cancelled when asked to stop (SIGTERM) after the batch in hand', async () => {
    const stop = new AbortController()
    let batches = 0
    const outcome = await runJob(
      { ...deps(), signal: stop.signal },
      { jobName: 'stop', sourceId: null, trigger: 'manual' },
      async (ctx) => {
        while (!ctx.signal.aborted) {
          await ctx.commitBatch(async () => ({ read: 1, inserted: 1, updated: 0, duplicates: 0, quarantined: 0 }))
          if (++batches === 2) stop.abort()
        }
      },
    )
    expect(outcome.status).toBe('cancelled')
    expect(await t.db('job_runs').where({ job_name: 'stop' }).first()).toMatchObject({ status: 'cancelled', read_count: 2 })
  })

  it('lets only one of two runner processes run the same job at a time', async () => {
    const env = { ...process.env, DATABASE_URL: t.url, PSEUDONYM_KEY: TEST_PSEUDONYM_KEY, HOLD_MS: '5000' }
    const script = 'test/support/processes/hold-job.ts'
    const results = await Promise.all([run('npx', ['tsx', script], { env }), run('npx', ['tsx', script], { env })])
    const statuses = results.map((r) => JSON.parse(r.stdout.trim().split('\n').pop()!).status).sort()
    expect(statuses).toEqual(['completed', 'skipped'])
    expect(await t.db('job_runs').where({ job_name: 'race' }).count('* as n').first()).toEqual({ n: 1 })
  })

  it('closes runs left active by a process that died, the next time the job runs', async () => {
    const [dead] = await t
      .db('job_runs')
      .insert({ job_name: 'crashy', trigger: 'manual', status: 'active', locked_by: 'gone:1' })
      .returning('id')
    await runJob(deps(), { jobName: 'crashy', sourceId: null, trigger: 'manual' }, async () => {})
    const row = await t.db('job_runs').where({ id: dead.id }).first()
    expect(row.status).toBe('failed')
    expect(row.error).toMatch(/abandoned/)
  })
})
