import { describe, expect, it } from 'vitest'
import { migrateLatest, migrateRollbackAll } from '../../../db/migrate.js'
import { useTestDatabase } from '../../support/db.js'

const t = useTestDatabase()

describe('reporting schema', () => {
  it('is fully migrated in the template and seeds the domain vocabularies', async () => {
    const purposes = await t.db('purposes').select('code', 'opt_out_applies', 'prohibited')
    expect(purposes).toHaveLength(21)
    expect(purposes.find((p) => p.code === 'research')).toMatchObject({ opt_out_applies: true, prohibited: false })
    expect(
      purposes
        .filter((p) => p.prohibited)
        .map((p) => p.code)
        .sort(),
    ).toEqual(['insurance', 'marketing'])
    const hmarkt = await t.db('purpose_code_map').where({ code: 'HMARKT' }).first()
    expect(hmarkt.purpose).toBe('marketing')
    const type1 = await t.db('choice_code_map').where({ code: '827241000000103' }).first()
    expect(type1).toMatchObject({ kind: 'type1', decision: 'deny' })
  })

  it('rejects a practice whose ODS code is malformed', async () => {
    await expect(t.db('practices').insert({ ods_code: 'not-ods', name: 'X' })).rejects.toThrow(/practices_ods_format/)
  })

  it('keeps the access log append-only, whoever asks', async () => {
    const [row] = await t.db('access_log').insert({ actor: 'test', action: 'sign_in' }).returning('id')
    await expect(t.db('access_log').where({ id: row.id }).update({ action: 'edited' })).rejects.toThrow(/append-only/)
    await expect(t.db('access_log').where({ id: row.id }).delete()).rejects.toThrow(/append-only/)
    await expect(t.db.raw('TRUNCATE access_log')).rejects.toThrow(/append-only/)
    expect(await t.db('access_log').where({ id: row.id }).first()).toMatchObject({ action: 'sign_in' })
  })

  it('rolls all the way down and up again', async () => {
    await migrateRollbackAll(t.db)
    const { rows } = await t.db.raw(`SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE 'knex_%'`)
    expect(rows[0].n).toBe(0)
    const applied = await migrateLatest(t.db)
    expect(applied.length).toBeGreaterThanOrEqual(4)
  })
})
