import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openDatabase, type Db } from '../../../db/client.js'
import { migrateLatest } from '../../../db/migrate.js'
import { listCodeLists, listLegalBases, listPurposes, listRecipientTypes } from '../../../db/queries/codes.js'
import { useTestDatabase } from '../../support/db.js'

// listCodeLists reads the three code lists in one round trip (decision 044): it must answer
// exactly what the three single reads answer, on PostgreSQL and on the embedded database.

const t = useTestDatabase()
const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true })
})

async function expectSameAsSingleReads(db: Db) {
  const lists = await listCodeLists(db)
  expect(lists.purposes).toEqual(await listPurposes(db))
  expect(lists.recipientTypes).toEqual(await listRecipientTypes(db))
  expect(lists.legalBases).toEqual(await listLegalBases(db))
  expect(lists.purposes.length).toBeGreaterThan(5)
  expect(lists.recipientTypes.length).toBeGreaterThan(3)
  expect(lists.legalBases.length).toBeGreaterThan(3)
}

describe('listCodeLists', () => {
  it('answers what the single reads answer, in their order, including a code an administrator added', async () => {
    await t.db('purposes').insert({ code: 'aaa_local_audit', label: 'Local clinical audit', opt_out_applies: true, prohibited: false })
    await expectSameAsSingleReads(t.db)
    expect((await listCodeLists(t.db)).purposes[0]).toEqual({
      code: 'aaa_local_audit',
      label: 'Local clinical audit',
      opt_out_applies: true,
      prohibited: false,
    })
  })

  it('answers the same on the embedded database', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'code-lists-'))
    dirs.push(dir)
    const h = await openDatabase({ kind: 'embedded', dir: path.join(dir, 'db') })
    try {
      await migrateLatest(h.db)
      await expectSameAsSingleReads(h.db)
    } finally {
      await h.close()
    }
  })
})
