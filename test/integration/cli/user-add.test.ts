import { describe, expect, it } from 'vitest'
import { signIn } from '../../../app/lib/auth.server.js'
import { ensurePractice } from '../../../db/queries/practices.js'
import { loadContext } from '../../support/app.js'
import { useTestDatabase } from '../../support/db.js'
import { runLedger } from '../../support/processes.js'
import { TEST_PSEUDONYM_KEY } from '../../support/test-env.js'

const t = useTestDatabase()
const env = () => ({ DATABASE_URL: t.url, PSEUDONYM_KEY: TEST_PSEUDONYM_KEY })

describe('ledger user add', () => {
  it('adds a user with the password from standard input, who can then sign in', async () => {
    await ensurePractice(t.db, { odsCode: 'A81001' })
    await ensurePractice(t.db, { odsCode: 'B82002' })
    const added = await runLedger(
      ['user', 'add', '--email', 'icb.manager@example.nhs.uk', '--role', 'practice_manager', '--practice', 'A81001', 'B82002'],
      env(),
      'a long enough password\n',
    )
    expect(added.code, added.stderr).toBe(0)
    expect(added.stdout).toMatch(/Added practice_manager icb.manager@example.nhs.uk .* for A81001, B82002/)
    const user = await t.db('users').where({ email: 'icb.manager@example.nhs.uk' }).first()
    expect(user.password_hash).toMatch(/^scrypt\$/)
    expect(user.password_hash).not.toContain('a long enough password')
    expect(await t.db('user_practices').where({ user_id: user.id }).count('* as n').first()).toEqual({ n: 2 })
    expect((await signIn(loadContext(t), 'icb.manager@example.nhs.uk', 'a long enough password')).ok).toBe(true)
    expect(await t.db('access_log').where({ action: 'user_add' }).first()).toMatchObject({ target: `user:${user.id}` })
  })

  it('refuses short passwords, unknown roles and unknown practices with a clear message', async () => {
    const short = await runLedger(
      ['user', 'add', '--email', 'a@example.nhs.uk', '--role', 'auditor', '--practice', 'A81001'],
      env(),
      'short\n',
    )
    expect(short.code).toBe(2)
    expect(short.stderr.trim()).toBe('The password must be at least 12 characters.')
    const role = await runLedger(
      ['user', 'add', '--email', 'a@example.nhs.uk', '--role', 'superuser', '--practice', 'A81001'],
      env(),
      'a long enough password\n',
    )
    expect(role.code).toBe(2)
    expect(role.stderr).toMatch(/superuser/)
    const practice = await runLedger(
      ['user', 'add', '--email', 'a@example.nhs.uk', '--role', 'auditor', '--practice', 'C99999'],
      env(),
      'a long enough password\n',
    )
    expect(practice.code).toBe(2)
    expect(practice.stderr.trim()).toBe('--practice: There is no practice with ODS code C99999.')
    expect(await t.db('users').where({ email: 'a@example.nhs.uk' }).first()).toBeUndefined()
  })
})
