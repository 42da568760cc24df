import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openDatabase, preparedRows, type DbHandle } from '../../../db/client.js'
import { useTestDatabase } from '../../support/db.js'

// preparedRows: a named prepared statement per pooled connection on PostgreSQL (planned once),
// an ordinary query on the embedded PGlite database; the same rows either way.

const t = useTestDatabase()
const handles: DbHandle[] = []
const dirs: string[] = []
afterAll(async () => {
  for (const h of handles) await h.close()
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true })
})

const SQL = 'SELECT x, ? AS label FROM unnest(?::int[]) AS x WHERE x = ANY(?) ORDER BY x'

describe('preparedRows', () => {
  it('prepares each statement once per connection, under a name of its own', async () => {
    const h = await openDatabase({ kind: 'postgres', url: t.url }, { poolMax: 1 })
    handles.push(h)
    expect(await preparedRows(h.db, SQL, ['one', [1, 2, 3], [2, 3]])).toEqual([
      { x: 2, label: 'one' },
      { x: 3, label: 'one' },
    ])
    // Again with other values: the same statement, not a second one.
    expect(await preparedRows(h.db, SQL, ['two', [4, 5], [5]])).toEqual([{ x: 5, label: 'two' }])
    // Other SQL on the same connection is another statement, never mistaken for the first.
    expect(await preparedRows(h.db, 'SELECT ? AS label', ['three'])).toEqual([{ label: 'three' }])
    const { rows } = await h.db.raw('SELECT name, statement FROM pg_prepared_statements ORDER BY prepare_time')
    expect(rows).toHaveLength(2)
    expect(rows[0].statement).toContain('unnest($2::int[])')
    expect(rows[1].statement).toBe('SELECT $1 AS label')
    expect(rows[0].name).not.toBe(rows[1].name)
  })

  it("inside a transaction runs on the transaction's connection, and sees its writes", async () => {
    await t.db.raw('CREATE TABLE prepared_probe (x int)')
    await t.db.transaction(async (trx) => {
      await trx('prepared_probe').insert({ x: 7 })
      expect(await preparedRows(trx, 'SELECT x FROM prepared_probe WHERE x = ?', [7])).toEqual([{ x: 7 }])
    })
  })

  it('answers the same on the embedded database, as an ordinary query', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-prepared-'))
    dirs.push(dir)
    const h = await openDatabase({ kind: 'embedded', dir: path.join(dir, 'db') })
    handles.push(h)
    expect(await preparedRows(h.db, SQL, ['one', [1, 2, 3], [2, 3]])).toEqual([
      { x: 2, label: 'one' },
      { x: 3, label: 'one' },
    ])
  }, 120_000)
})
