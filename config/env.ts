import crypto from 'node:crypto'
import path from 'node:path'
import cron from 'node-cron'
import { z } from 'zod'
import { loadOidcConfig, type OidcConfig } from './oidc.js'
import { DEVELOPMENT_SIGNING_SEED, parseSigningSeed, signingKeyFromSeed, type SigningKey } from '../core/signing.js'
import type { DatabaseTarget } from '../db/client.js'

/**
 * Configuration from the environment, validated once at start. A missing or bad value stops the
 * program with one sentence that names the variable (see ConfigError).
 */

/** Loud, documented development key: only ever used for the embedded demo database. */
export const DEVELOPMENT_PSEUDONYM_KEY = 'sharing-ledger-DEVELOPMENT-ONLY-pseudonym-key-do-not-use-with-real-data'

export class ConfigError extends Error {}

/** Requests a web process works on at once unless REQUEST_CONCURRENCY says otherwise (decision 044). */
export const DEFAULT_REQUEST_CONCURRENCY = 4

const cronField = z.string().refine((v) => cron.validate(v), 'must be a cron expression such as "*/15 * * * *"')

// "addr@host" or "Display Name <addr@host>"; nodemailer takes either.
const MAIL_FROM_PATTERN = /^(?:[^<>@\r\n]+<[^<>\s@]+@[^<>\s@]+>|[^<>\s@]+@[^<>\s@]+)$/

const EnvSchema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// connection string')
    .optional(),
  /** Reads as named prepared statements on PostgreSQL (decision 045); off behind PgBouncer in transaction mode. */
  DATABASE_PREPARED_READS: z.enum(['on', 'off']).default('on'),
  LEDGER_DATA_DIR: z.string().min(1).default('data'),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  /** Requests inside Remix at once per web process; the rest wait their turn (decision 044). */
  REQUEST_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(DEFAULT_REQUEST_CONCURRENCY),
  /** A request that has waited this long for its turn is answered 503 "busy". */
  REQUEST_QUEUE_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(30_000),
  PSEUDONYM_KEY: z.string().min(32, 'must be at least 32 characters of secret key material').optional(),
  SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  SIGNING_KEY: z
    .string()
    .refine((v) => parseSigningSeed(v) !== null, 'must be a 32-byte Ed25519 seed, as 64 hex digits or base64')
    .optional(),
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  COLLECT_SCHEDULE: cronField.default('*/15 * * * *'),
  IMPORT_SCHEDULE: cronField.default('5 * * * *'),
  /** Nightly: verify the ledger's chains and sign a checkpoint of their heads (decision 024). */
  LEDGER_SCHEDULE: cronField.default('30 2 * * *'),
  INBOX_DIR: z.string().min(1).optional(),
  SCHEDULE_TIMEZONE: z.string().default('Europe/London'),
  SCHEDULER: z.enum(['on', 'off']).default('on'),
  FHIR_PAGE_SIZE: z.coerce.number().int().min(1).max(1000).default(200),
  HTTP_TIMEOUT_MS: z.coerce.number().int().min(100).default(15000),
  HTTP_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(5),
  HTTP_BACKOFF_MS: z.coerce.number().int().min(0).default(500),
  // Collector limits against a hostile or broken source (decision 016).
  FHIR_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(20 * 1024 * 1024),
  FHIR_MAX_PAGES: z.coerce.number().int().min(1).default(5000),
  FHIR_MAX_DEPTH: z.coerce.number().int().min(16).max(1000).default(64),
  FHIR_MAX_TEXT_CHARS: z.coerce.number().int().min(100).default(1000),
  OVERRIDE_REVIEW_DAYS: z.coerce.number().int().min(1).default(7),
  SESSION_IDLE_MINUTES: z.coerce
    .number()
    .int()
    .min(5)
    .max(24 * 60)
    .default(30),
  SESSION_MAX_HOURS: z.coerce.number().int().min(1).max(24).default(10),
  COOKIE_SECURE: z.enum(['on', 'off']).optional(),
  // Mail (decision 034): off unless SMTP_URL is set; mails carry links to PUBLIC_URL, never patient data.
  SMTP_URL: z
    .string()
    .refine(isSmtpUrl, 'must be an smtp:// or smtps:// address such as "smtp://user:password@mail.example.nhs.uk:587"')
    .optional(),
  MAIL_FROM: z
    .string()
    .regex(MAIL_FROM_PATTERN, 'must be a mail address, optionally with a name: "Sharing Ledger <ledger@example.nhs.uk>"')
    .optional(),
  PUBLIC_URL: z
    .string()
    .refine(isPublicUrl, 'must be the http:// or https:// address people open the dashboard at, such as "https://ledger.example.nhs.uk"')
    .optional(),
  /** An RFC 3161 time-stamping authority for ledger checkpoints (decision 039); none when unset. */
  TSA_URL: z
    .string()
    .refine(
      isPublicUrl,
      'must be the http:// or https:// address of an RFC 3161 time-stamping authority, such as "https://tsa.example.org/tsr"',
    )
    .optional(),
  /** Daily: one digest per user of what needs them (decision 034). */
  MAIL_DIGEST_SCHEDULE: cronField.default('0 7 * * *'),
  /** Frequent: mail guardians each new high-severity finding once (decision 034). */
  MAIL_ALERT_SCHEDULE: cronField.default('*/10 * * * *'),
  // Staff sign-in with OpenID Connect (NHS CIS2) and the password switch (decision 038; config/oidc.ts).
  OIDC_ISSUER_URL: z.string().optional(),
  OIDC_CLIENT_ID: z.string().max(500).optional(),
  OIDC_CLIENT_SECRET: z.string().max(2000).optional(),
  OIDC_REDIRECT_URL: z.string().optional(),
  OIDC_SCOPES: z.string().max(500).optional(),
  OIDC_ROLE_MAP: z.string().optional(),
  OIDC_ROLE_MAP_FILE: z.string().optional(),
  PASSWORD_SIGN_IN: z.enum(['on', 'off']).default('on'),
})

function isSmtpUrl(v: string): boolean {
  try {
    const u = new URL(v)
    return (u.protocol === 'smtp:' || u.protocol === 'smtps:') && u.hostname !== ''
  } catch {
    return false
  }
}

function isPublicUrl(v: string): boolean {
  try {
    const u = new URL(v)
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.search === '' && u.hash === '' && u.username === '' && u.password === ''
  } catch {
    return false
  }
}

export interface Config {
  database: DatabaseTarget
  port: number
  /** Requests a web process works on at once; later ones wait in arrival order (server/request-gate.ts). */
  requestConcurrency: number
  /** How long a request may wait for its turn before it is answered "busy" (503, Retry-After). */
  requestQueueTimeoutMs: number
  pseudonymKey: string
  /** True when a development default stands in for a secret: the demo, never production. */
  usingDevelopmentSecrets: boolean
  sessionSecret: string
  /**
   * Signs report manifests and ledger checkpoints. Null with DATABASE_URL set and no
   * SIGNING_KEY: signing then stops with a ConfigError (requireSigningKey) instead of falling
   * back to the published development key.
   */
  signingKey: SigningKey | null
  nodeEnv: 'development' | 'production' | 'test'
  /** When each scheduled job runs; the inbox is where staff drop NDOP and register CSV files. */
  schedules: { collect: string; import: string; ledger: string; mailDigest: string; mailAlerts: string; timezone: string; enabled: boolean }
  inboxDir: string
  /**
   * FHIR requests and what a collector keeps of them. timeoutMs covers a whole request, body and
   * decompression included; maxBodyBytes caps the decompressed body; maxPages caps one stream's
   * pages in a run; maxDepth caps a record's nesting; maxTextChars caps stored free text.
   */
  http: {
    pageSize: number
    timeoutMs: number
    maxAttempts: number
    backoffMs: number
    maxBodyBytes: number
    maxPages: number
    maxDepth: number
    maxTextChars: number
  }
  overrideReviewDays: number
  /**
   * Server-side sessions (app/lib/session.server.ts). `secureCookies` marks the cookie Secure
   * (sent over HTTPS only): on in production unless COOKIE_SECURE=off, off otherwise unless on.
   */
  session: { idleMinutes: number; maxHours: number; secureCookies: boolean }
  /** True when SESSION_SECRET was not set: a random per-process secret signs cookies. */
  usingDevelopmentSessionSecret: boolean
  /** Where people open the dashboard (no trailing slash), for links in mail; null when unset. */
  publicUrl: string | null
  /** Outgoing mail; null (mail off) when SMTP_URL is unset (decision 034). */
  mail: { smtpUrl: string; from: string } | null
  /** The RFC 3161 time-stamping authority checkpoints are sent to; null when unset (decision 039). */
  tsaUrl: string | null
  /** Sign-in with NHS Care Identity (OpenID Connect); null when OIDC_ISSUER_URL is unset (decision 038). */
  oidc: OidcConfig | null
  /** False with PASSWORD_SIGN_IN=off: the password form is not offered and a password is refused. */
  passwordSignIn: boolean
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable (FOO= in a shell or .env file) means "not set", not "set to nothing".
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''))
  const parsed = EnvSchema.safeParse(present)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw new ConfigError(`Configuration error: ${String(issue.path[0])} ${issue.message}.`)
  }
  const e = parsed.data
  const embedded = !e.DATABASE_URL
  if (!embedded && !e.PSEUDONYM_KEY) {
    throw new ConfigError(
      'Configuration error: PSEUDONYM_KEY must be set when DATABASE_URL is set (the development key is only for the embedded demo database).',
    )
  }
  if (e.SMTP_URL && !e.MAIL_FROM) {
    throw new ConfigError(
      'Configuration error: MAIL_FROM must be set when SMTP_URL is set (the address mail comes from, such as "Sharing Ledger <ledger@example.nhs.uk>").',
    )
  }
  if (e.SMTP_URL && !e.PUBLIC_URL) {
    throw new ConfigError(
      'Configuration error: PUBLIC_URL must be set when SMTP_URL is set (the https:// address of the dashboard, which mails link to).',
    )
  }
  let oidc: OidcConfig | null
  try {
    oidc = loadOidcConfig(e, e.PUBLIC_URL ? e.PUBLIC_URL.replace(/\/+$/, '') : null)
  } catch (error) {
    throw new ConfigError(`Configuration error: ${(error as Error).message}.`)
  }
  if (e.PASSWORD_SIGN_IN === 'off' && !oidc) {
    throw new ConfigError(
      'Configuration error: PASSWORD_SIGN_IN=off needs OIDC_ISSUER_URL (and the rest of the OpenID Connect settings): otherwise nobody could sign in.',
    )
  }
  if (e.NODE_ENV === 'production' && !e.SESSION_SECRET) {
    throw new ConfigError('Configuration error: SESSION_SECRET must be set in production.')
  }
  return {
    database: embedded
      ? { kind: 'embedded', dir: path.resolve(e.LEDGER_DATA_DIR, 'pglite') }
      : { kind: 'postgres', url: e.DATABASE_URL!, preparedReads: e.DATABASE_PREPARED_READS === 'on' },
    port: e.PORT,
    requestConcurrency: e.REQUEST_CONCURRENCY,
    requestQueueTimeoutMs: e.REQUEST_QUEUE_TIMEOUT_MS,
    pseudonymKey: e.PSEUDONYM_KEY ?? DEVELOPMENT_PSEUDONYM_KEY,
    usingDevelopmentSecrets: !e.PSEUDONYM_KEY,
    // Without SESSION_SECRET (the embedded demo), a random secret per start: nothing in the
    // source can sign a cookie. With DATABASE_URL the server refuses to start without one.
    sessionSecret: e.SESSION_SECRET ?? crypto.randomBytes(32).toString('base64url'),
    signingKey: e.SIGNING_KEY
      ? signingKeyFromSeed(parseSigningSeed(e.SIGNING_KEY)!)
      : embedded
        ? signingKeyFromSeed(DEVELOPMENT_SIGNING_SEED, true)
        : null,
    nodeEnv: e.NODE_ENV,
    schedules: {
      collect: e.COLLECT_SCHEDULE,
      import: e.IMPORT_SCHEDULE,
      ledger: e.LEDGER_SCHEDULE,
      mailDigest: e.MAIL_DIGEST_SCHEDULE,
      mailAlerts: e.MAIL_ALERT_SCHEDULE,
      timezone: e.SCHEDULE_TIMEZONE,
      enabled: e.SCHEDULER === 'on',
    },
    http: {
      pageSize: e.FHIR_PAGE_SIZE,
      timeoutMs: e.HTTP_TIMEOUT_MS,
      maxAttempts: e.HTTP_MAX_ATTEMPTS,
      backoffMs: e.HTTP_BACKOFF_MS,
      maxBodyBytes: e.FHIR_MAX_BODY_BYTES,
      maxPages: e.FHIR_MAX_PAGES,
      maxDepth: e.FHIR_MAX_DEPTH,
      maxTextChars: e.FHIR_MAX_TEXT_CHARS,
    },
    inboxDir: path.resolve(e.INBOX_DIR ?? path.join(e.LEDGER_DATA_DIR, 'inbox')),
    overrideReviewDays: e.OVERRIDE_REVIEW_DAYS,
    session: {
      idleMinutes: e.SESSION_IDLE_MINUTES,
      maxHours: e.SESSION_MAX_HOURS,
      secureCookies: e.COOKIE_SECURE ? e.COOKIE_SECURE === 'on' : e.NODE_ENV === 'production',
    },
    usingDevelopmentSessionSecret: !e.SESSION_SECRET,
    publicUrl: e.PUBLIC_URL ? e.PUBLIC_URL.replace(/\/+$/, '') : null,
    mail: e.SMTP_URL ? { smtpUrl: e.SMTP_URL, from: e.MAIL_FROM! } : null,
    tsaUrl: e.TSA_URL ?? null,
    oidc,
    passwordSignIn: e.PASSWORD_SIGN_IN === 'on',
  }
}

/** The signing key, or the one sentence that says how to configure it. */
export function requireSigningKey(config: Config): SigningKey {
  if (!config.signingKey) {
    throw new ConfigError(
      'Configuration error: SIGNING_KEY must be set when DATABASE_URL is set (a 32-byte Ed25519 seed: `openssl rand -hex 32`; the development key is only for the embedded demo database).',
    )
  }
  return config.signingKey
}

/** The web server's own requirement: with PostgreSQL, cookies must be signed with a configured secret. */
export function requireSessionSecret(config: Config): void {
  if (config.database.kind === 'postgres' && config.usingDevelopmentSessionSecret) {
    throw new ConfigError(
      'Configuration error: SESSION_SECRET must be set when DATABASE_URL is set (at least 32 random characters: `openssl rand -base64 48`).',
    )
  }
}
