import type { Db } from '../client.js'
import type { Role, UserRow } from './users.js'

/**
 * OpenID Connect sign-in (decision 038): the sign-ins in progress, and users found by the
 * provider's subject. A flow is consumed by the callback (deleted as it is read), so a state,
 * nonce and PKCE verifier serve one authorization response at most.
 */

export interface OidcFlow {
  state: string
  nonce: string
  code_verifier: string
  redirect_to: string
}

export async function createOidcFlow(db: Db, idHash: string, flow: OidcFlow, ttlMinutes: number): Promise<void> {
  // Sign-ins abandoned at the provider are swept here, so the table stays small without a job.
  await db.raw('DELETE FROM oidc_sign_in_flows WHERE expires_at < now()')
  await db.raw(
    `INSERT INTO oidc_sign_in_flows (id_hash, state, nonce, code_verifier, redirect_to, expires_at)
     VALUES (?, ?, ?, ?, ?, now() + make_interval(mins => ?))`,
    [idHash, flow.state, flow.nonce, flow.code_verifier, flow.redirect_to, ttlMinutes],
  )
}

/** The flow the browser's cookie names, deleted as it is read; undefined when unknown, used or expired. */
export async function consumeOidcFlow(db: Db, idHash: string): Promise<OidcFlow | undefined> {
  const { rows } = await db.raw(
    `DELETE FROM oidc_sign_in_flows WHERE id_hash = ? RETURNING state, nonce, code_verifier, redirect_to, expires_at > now() AS live`,
    [idHash],
  )
  const row = rows[0] as (OidcFlow & { live: boolean }) | undefined
  return row?.live ? { state: row.state, nonce: row.nonce, code_verifier: row.code_verifier, redirect_to: row.redirect_to } : undefined
}

export interface OidcIdentity {
  issuer: string
  subject: string
  /** The e-mail claim, when the provider sent one. */
  email: string | null
  displayName: string
  role: Role
  practiceIds: number[]
}

export type OidcUserResult =
  | { ok: true; user: UserRow; created: boolean }
  | { ok: false; reason: 'disabled'; user: UserRow }
  | { ok: false; reason: 'email_taken'; user: null }

const PLACEHOLDER_DOMAIN = 'cis2.invalid'

/** The e-mail column of a user the provider sent no address for: unique, and never mailed (.invalid). */
export const placeholderEmail = (subject: string) => `${subject.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 150)}@${PLACEHOLDER_DOMAIN}`

/**
 * Finds the user by (issuer, subject), or creates them; either way their role and practices
 * become what this sign-in's selected role maps to (the provider is the source of truth for
 * both). A disabled user stays disabled and unchanged. An e-mail address already held by
 * another account (a password account) is not taken over: linking by e-mail would let whoever
 * controls an address at the provider become that account.
 */
export async function upsertOidcUser(db: Db, id: OidcIdentity): Promise<OidcUserResult> {
  return db.transaction(async (trx) => {
    const existing = (await trx('users').where({ oidc_issuer: id.issuer, oidc_subject: id.subject }).forUpdate().first()) as
      (UserRow & { oidc_subject: string }) | undefined
    if (existing?.disabled_at) return { ok: false as const, reason: 'disabled' as const, user: existing }
    const wanted = id.email ?? placeholderEmail(id.subject)
    const taken = await trx('users')
      .whereRaw('lower(email) = lower(?)', [wanted])
      .modify((q) => (existing ? q.whereNot('id', existing.id) : q))
      .first('id')
    if (taken && !existing) return { ok: false as const, reason: 'email_taken' as const, user: null }
    const email = taken ? existing!.email : wanted
    let user: UserRow
    if (existing) {
      ;[user] = await trx('users').where({ id: existing.id }).update({ email, display_name: id.displayName, role: id.role }).returning('*')
      await trx('user_practices').where({ user_id: existing.id }).delete()
    } else {
      // ON CONFLICT: two first sign-ins of the same person at once make one user.
      const { rows } = await trx.raw(
        `INSERT INTO users (email, display_name, password_hash, role, oidc_issuer, oidc_subject)
         VALUES (?, ?, NULL, ?, ?, ?)
         ON CONFLICT (oidc_issuer, oidc_subject) WHERE oidc_subject IS NOT NULL
         DO UPDATE SET display_name = EXCLUDED.display_name, role = EXCLUDED.role
         RETURNING *`,
        [email, id.displayName, id.role, id.issuer, id.subject],
      )
      user = rows[0] as UserRow
      await trx('user_practices').where({ user_id: user.id }).delete()
    }
    if (id.practiceIds.length) {
      await trx('user_practices').insert(id.practiceIds.map((practice_id) => ({ user_id: user.id, practice_id })))
    }
    return { ok: true as const, user, created: !existing }
  })
}

/** Every practice the ledger holds, by ODS code (the organisations a CIS2 role can map to). */
export async function practiceIdsByOds(db: Db): Promise<Map<string, number>> {
  const rows = (await db('practices').select('id', 'ods_code')) as Array<{ id: number; ods_code: string }>
  return new Map(rows.map((r) => [r.ods_code.toUpperCase(), r.id]))
}
