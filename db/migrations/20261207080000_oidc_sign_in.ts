import type { Knex } from 'knex'

// Issue 18 part 3 (decision 038): staff sign in with OpenID Connect (NHS Care Identity Service 2).
// A user signed in that way is found by the provider's subject (issuer + sub), never by e-mail,
// and may have no password; the session keeps the ID token for RP-initiated logout; a sign-in
// in progress (state, nonce, PKCE verifier) is held server-side, used at most once.
// Frozen: plain SQL, no imports.

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE users ADD COLUMN oidc_issuer text, ADD COLUMN oidc_subject text`)
  await knex.raw(`ALTER TABLE users ALTER COLUMN password_hash DROP NOT NULL`)
  await knex.raw(`
    ALTER TABLE users
      ADD CONSTRAINT users_oidc_pair CHECK ((oidc_issuer IS NULL) = (oidc_subject IS NULL)),
      ADD CONSTRAINT users_can_sign_in CHECK (password_hash IS NOT NULL OR oidc_subject IS NOT NULL)`)
  await knex.raw(`CREATE UNIQUE INDEX users_oidc_subject_key ON users (oidc_issuer, oidc_subject) WHERE oidc_subject IS NOT NULL`)

  await knex.raw(`ALTER TABLE sessions ADD COLUMN oidc_id_token text`)

  await knex.raw(`
    CREATE TABLE oidc_sign_in_flows (
      -- SHA-256 of the random id the browser's short-lived cookie carries.
      id_hash text PRIMARY KEY,
      state text NOT NULL,
      nonce text NOT NULL,
      code_verifier text NOT NULL,
      redirect_to text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL
    )`)
  await knex.raw('CREATE INDEX oidc_sign_in_flows_expires ON oidc_sign_in_flows (expires_at)')
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE oidc_sign_in_flows')
  await knex.raw('ALTER TABLE sessions DROP COLUMN oidc_id_token')
  await knex.raw('DROP INDEX users_oidc_subject_key')
  await knex.raw('ALTER TABLE users DROP CONSTRAINT users_can_sign_in, DROP CONSTRAINT users_oidc_pair')
  // Users who signed in only through the provider keep their rows (the access log names them),
  // with a hash no password matches.
  await knex.raw(`UPDATE users SET password_hash = '!' WHERE password_hash IS NULL`)
  await knex.raw('ALTER TABLE users ALTER COLUMN password_hash SET NOT NULL')
  await knex.raw(`ALTER TABLE users DROP COLUMN oidc_issuer, DROP COLUMN oidc_subject`)
}
