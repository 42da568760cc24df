import type { Db } from '../client.js'

/**
 * Sign-in throttling that slows guessing without letting anyone lock a named user out.
 * Failures are counted per address ('ip:...') and per account name as typed ('account:...',
 * whether or not such an account exists, so the answer reveals nothing). After a few free
 * failures each further one doubles the wait before the next attempt is considered, capped
 * low enough that the real user still gets in, and a success clears the counts of both keys.
 * Kept in PostgreSQL so every web process shares it.
 */

export const THROTTLE = {
  ip: { free: 10, capSeconds: 300 },
  account: { free: 5, capSeconds: 60 },
  /** Failures older than this are forgotten. */
  windowMinutes: 60,
}

export type ThrottleKey = { kind: 'ip' | 'account'; value: string }

const keyText = (k: ThrottleKey) => `${k.kind}:${k.value.trim().toLowerCase().slice(0, 320)}`

/** Seconds until the next attempt is considered for any of the keys (0: go ahead). */
export async function secondsUntilAllowed(db: Db, keys: ThrottleKey[]): Promise<number> {
  const { rows } = await db.raw(
    `SELECT coalesce(max(extract(epoch FROM next_attempt_at - now())), 0) AS wait
       FROM sign_in_throttle WHERE key = ANY(?) AND last_failure_at > now() - make_interval(mins => ?)`,
    [keys.map(keyText), THROTTLE.windowMinutes],
  )
  return Math.max(0, Math.ceil(Number(rows[0]?.wait ?? 0)))
}

export async function recordFailure(db: Db, keys: ThrottleKey[]): Promise<void> {
  for (const k of keys) {
    const { free, capSeconds } = THROTTLE[k.kind]
    await db.raw(
      `INSERT INTO sign_in_throttle AS t (key, failures, last_failure_at, next_attempt_at) VALUES (?, 1, now(), now())
       ON CONFLICT (key) DO UPDATE SET
         failures = CASE WHEN t.last_failure_at < now() - make_interval(mins => ?) THEN 1 ELSE t.failures + 1 END,
         last_failure_at = now(),
         next_attempt_at = now() + make_interval(secs => CASE
           WHEN t.last_failure_at < now() - make_interval(mins => ?) OR t.failures + 1 <= ? THEN 0
           ELSE least(?, power(2, least(t.failures + 1 - ?, 20))) END)`,
      [keyText(k), THROTTLE.windowMinutes, THROTTLE.windowMinutes, free, capSeconds, free],
    )
  }
}

export async function clearFailures(db: Db, keys: ThrottleKey[]): Promise<void> {
  await db('sign_in_throttle').whereIn('key', keys.map(keyText)).delete()
}
