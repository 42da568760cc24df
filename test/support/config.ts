import { loadConfig, type Config } from '../../config/env.js'
import { TEST_PSEUDONYM_KEY, TEST_SESSION_SECRET, TEST_SIGNING_KEY } from './test-env.js'

/** A configuration for tests: PostgreSQL at `url`, the test key, fast retries. */
export function testConfig(url: string, overrides: Partial<Config['http']> = {}): Config {
  const config = loadConfig({
    DATABASE_URL: url,
    PSEUDONYM_KEY: TEST_PSEUDONYM_KEY,
    SIGNING_KEY: TEST_SIGNING_KEY,
    SESSION_SECRET: TEST_SESSION_SECRET,
    NODE_ENV: 'test',
    HTTP_BACKOFF_MS: '1',
    HTTP_TIMEOUT_MS: '2000',
    HTTP_MAX_ATTEMPTS: '3',
    FHIR_PAGE_SIZE: '50',
    SCHEDULER: 'off',
  })
  return { ...config, http: { ...config.http, ...overrides } }
}
