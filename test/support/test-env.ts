/** The PostgreSQL server the tests use; each test file gets its own database on it. */
export const TEST_SERVER_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
export const TEST_PSEUDONYM_KEY = 'test-pseudonym-key-0123456789abcdef0123456789'
export const TEST_SESSION_SECRET = 'test-session-secret-0123456789abcdef0123456789'
/** Ed25519 seed (hex) that signs reports and checkpoints in tests. */
export const TEST_SIGNING_KEY = '7e57'.repeat(16)

export function databaseUrl(name: string): string {
  const url = new URL(TEST_SERVER_URL)
  url.pathname = `/${name}`
  return url.toString()
}
