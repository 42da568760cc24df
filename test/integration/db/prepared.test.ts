import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { MAX_PREPARED_READS, openDatabase, planOnce, type DbHandle } from '../../../db/client.js'
import { useTestDatabase } from '../../support/db.js'

// Decision 045: on PostgreSQL a read marked by planOnce() runs as a named prepared statement,
// once per pooled connection; unmarked reads, writes and SQL cursors run as before; the embedded
// PGlite database answers the same.

const t = useTestDatabase()
const handles: DbHandle[] = []
const dirs: string[] = []
afterAll(async () => {
  for (const h of handles) await h.close()
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true })
})

async function oneConnection(preparedReads?: boolean) {
  const h = await openDatabase({ kind: 'postgres', url: t.url, preparedReads }, { poolMax: 1 })
  handles.push(h)
  return h
}

const prepared = async (h: DbHandle) =>
  (await h.db.raw('SELECT name, statement FROM pg_prepared_statements ORDER BY prepare_time, name')).rows as Array<{
    name: string
    statement: string
  }>

const SQL = 'SELECT x, ? AS label FROM unnest(?::int[]) AS x WHERE x = ANY(?) ORDER BY x'

describe('prepared reads', () => {
  it('prepares each marked read once per connection, under a name of its own, and answers as before', async () => {
    const h = await oneConnection()
    expect((await planOnce(h.db.raw(SQL, ['one', [1, 2, 3], [2, 3]]))).rows).toEqual([
      { x: 2, label: 'one' },
      { x: 3, label: 'one' },
    ])
    // Again with other values: the same statement, not a second one.
    expect((await planOnce(h.db.raw(SQL, ['two', [4, 5], [5]]))).rows).toEqual([{ x: 5, label: 'two' }])
    // A query builder's read, and other SQL, are statements of their own.
    expect(await planOnce(h.db.select(h.db.raw('? AS label', ['three'])))).toEqual([{ label: 'three' }])
    // An unmarked read is not prepared (a read whose best plan turns on its values).
    expect((await h.db.raw('SELECT ? AS unmarked', ['four'])).rows).toEqual([{ unmarked: 'four' }])
    const rows = (await prepared(h)).filter((r) => !r.statement.includes('pg_prepared_statements'))
    expect(rows.map((r) => r.statement)).toEqual([
      'SELECT x, $1 AS label FROM unnest($2::int[]) AS x WHERE x = ANY($3) ORDER BY x',
      'select $1 AS label',
    ])
    expect(rows[0]!.name).not.toBe(rows[1]!.name)
  })

  it('leaves writes and SQL cursors alone', async () => {
    const h = await oneConnection()
    await h.db.raw('CREATE TABLE prepared_writes (x int)')
    await planOnce(h.db('prepared_writes').insert([{ x: 1 }, { x: 2 }]))
    await planOnce(h.db('prepared_writes').where({ x: 2 }).update({ x: 3 }))
    const fetched = await h.db.transaction(async (trx) => {
      await trx.raw('DECLARE probe_rows NO SCROLL CURSOR FOR SELECT x FROM prepared_writes ORDER BY x')
      return (await trx.raw('FETCH 10 FROM probe_rows')).rows
    })
    expect(fetched).toEqual([{ x: 1 }, { x: 3 }])
    const statements = (await prepared(h)).map((r) => r.statement)
    expect(statements.some((s) => /^(insert|update|create|declare|fetch)/i.test(s))).toBe(false)
    expect(statements.some((s) => s.includes('"prepared_writes"'))).toBe(false)
  })

  it("inside a transaction runs on the transaction's connection, and sees its writes", async () => {
    const h = await oneConnection()
    await h.db.raw('CREATE TABLE prepared_probe (x int)')
    await h.db.transaction(async (trx) => {
      await trx('prepared_probe').insert({ x: 7 })
      expect(await planOnce(trx('prepared_probe').where({ x: 7 }).select('x'))).toEqual([{ x: 7 }])
    })
    expect(await planOnce(h.db('prepared_probe').select('x'))).toEqual([{ x: 7 }])
    expect((await prepared(h)).filter((r) => r.statement.includes('"prepared_probe"'))).toHaveLength(2)
  })

  it("reads a table again after a migration changed its columns (a transaction's read fails once, as any statement would)", async () => {
    const h = await oneConnection()
    await h.db.raw('CREATE TABLE prepared_migrated (x int)')
    await h.db('prepared_migrated').insert({ x: 1 })
    const read = (db: DbHandle['db']) => planOnce(db('prepared_migrated').select('*'))
    expect(await read(h.db)).toEqual([{ x: 1 }])
    await h.db.raw('ALTER TABLE prepared_migrated ADD COLUMN y int DEFAULT 2')
    // Outside a transaction: prepared again under a new name and answered at once.
    expect(await read(h.db)).toEqual([{ x: 1, y: 2 }])

    await h.db.raw('ALTER TABLE prepared_migrated ADD COLUMN z int DEFAULT 3')
    await expect(h.db.transaction(async (trx) => read(trx))).rejects.toMatchObject({ code: '0A000' })
    // The next read, in a transaction or not, is prepared afresh.
    expect(await h.db.transaction(async (trx) => read(trx))).toEqual([{ x: 1, y: 2, z: 3 }])
    expect(await read(h.db)).toEqual([{ x: 1, y: 2, z: 3 }])
  })

  it(`keeps at most ${MAX_PREPARED_READS} reads prepared on a connection; the rest run unnamed`, async () => {
    const h = await oneConnection()
    for (let i = 0; i < MAX_PREPARED_READS + 20; i++) expect((await planOnce(h.db.raw(`SELECT ${i} AS n`))).rows).toEqual([{ n: i }])
    const { rows } = await h.db.raw('SELECT count(*)::int AS n FROM pg_prepared_statements')
    expect(rows[0].n).toBe(MAX_PREPARED_READS)
  })

  it('prepares nothing when preparedReads is off (a pooler that cannot keep them)', async () => {
    const h = await oneConnection(false)
    expect((await planOnce(h.db.raw(SQL, ['one', [1], [1]]))).rows).toEqual([{ x: 1, label: 'one' }])
    const { rows } = await h.db.raw('SELECT count(*)::int AS n FROM pg_prepared_statements')
    expect(rows[0].n).toBe(0)
  })

  it("prepares unmarked reads too with 'every read' (bench/plans.ts compares plans with it)", async () => {
    const h = await openDatabase({ kind: 'postgres', url: t.url, preparedReads: 'every read' }, { poolMax: 1 })
    handles.push(h)
    expect((await h.db.raw('SELECT ? AS unmarked', ['five'])).rows).toEqual([{ unmarked: 'five' }])
    expect((await prepared(h)).map((r) => r.statement)).toContain('SELECT $1 AS unmarked')
  })

  it('answers the same on the embedded database', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-prepared-'))
    dirs.push(dir)
    const h = await openDatabase({ kind: 'embedded', dir: path.join(dir, 'db') })
    handles.push(h)
    expect((await planOnce(h.db.raw(SQL, ['one', [1, 2, 3], [2, 3]]))).rows).toEqual([
      { x: 2, label: 'one' },
      { x: 3, label: 'one' },
    ])
  }, 120_000)
})
