import type { Db } from '../client.js'
import { NEW_FINDING_DAYS } from './notifications.js'
import type { Role } from './users.js'

// The sent-mail record (decision 034): a row is claimed before a mail goes, under a unique
// (user, kind, key), so whoever claims it first is the only one who sends it.

export type MailKind = 'digest' | 'high_finding' | 'scheduled_report'

export interface MailRecipient {
  userId: number
  email: string
  displayName: string
  role: Role
  /** The practices the user may see: an administrator's are all of them, as at sign-in. */
  practiceIds: number[]
}

/** Everyone who can sign in, with the practices the access gate would give them. */
export async function listMailRecipients(db: Db): Promise<MailRecipient[]> {
  const { rows } = await db.raw(
    `SELECT u.id, u.email, u.display_name, u.role,
            CASE WHEN u.role = 'admin' THEN (SELECT coalesce(array_agg(p.id ORDER BY p.id), '{}') FROM practices p)
                 ELSE coalesce(array_agg(up.practice_id ORDER BY up.practice_id) FILTER (WHERE up.practice_id IS NOT NULL), '{}') END AS practice_ids
       FROM users u LEFT JOIN user_practices up ON up.user_id = u.id
      WHERE u.disabled_at IS NULL
        -- A user NHS Care Identity sent no address for holds a placeholder under .invalid (decision 038).
        AND u.email NOT ILIKE '%.invalid'
      GROUP BY u.id
      ORDER BY u.id`,
  )
  return (rows as Array<{ id: number; email: string; display_name: string; role: Role; practice_ids: number[] }>).map((r) => ({
    userId: r.id,
    email: r.email,
    displayName: r.display_name,
    role: r.role,
    practiceIds: r.practice_ids.map(Number),
  }))
}

export interface HighFindingAlert {
  findingId: number
  ruleId: string
  practiceOds: string
  practiceName: string
  openedAt: Date
  userId: number
  email: string
  displayName: string
}

/**
 * Each open high-severity finding opened in the last NEW_FINDING_DAYS, paired with each
 * Caldicott guardian of its practice who has not been mailed about it. The finding's summary is
 * not read: it can name a patient's pseudonym.
 */
export async function listUnsentHighFindingAlerts(db: Db): Promise<HighFindingAlert[]> {
  const { rows } = await db.raw(
    `SELECT f.id AS finding_id, f.rule_id, p.ods_code, p.name AS practice_name, f.opened_at, u.id AS user_id, u.email, u.display_name
       FROM findings f
       JOIN practices p ON p.id = f.practice_id
       JOIN user_practices up ON up.practice_id = f.practice_id
       JOIN users u ON u.id = up.user_id AND u.role = 'caldicott_guardian' AND u.disabled_at IS NULL
      WHERE f.severity = 'high' AND f.status = 'open' AND f.opened_at > now() - make_interval(days => ?)
        AND u.email NOT ILIKE '%.invalid'
        AND NOT EXISTS (SELECT 1 FROM mail_log m WHERE m.user_id = u.id AND m.kind = 'high_finding' AND m.key = f.id::text)
      ORDER BY f.opened_at, f.id, u.id`,
    [NEW_FINDING_DAYS],
  )
  return (rows as Array<Record<string, unknown>>).map((r) => ({
    findingId: Number(r.finding_id),
    ruleId: String(r.rule_id),
    practiceOds: String(r.ods_code),
    practiceName: String(r.practice_name),
    openedAt: new Date(r.opened_at as string),
    userId: Number(r.user_id),
    email: String(r.email),
    displayName: String(r.display_name),
  }))
}

/** True when this call claimed the mail (nobody had); false when it was already claimed or sent. */
export async function claimMail(
  db: Db,
  m: { userId: number; kind: MailKind; key: string; recipient: string; subject: string },
): Promise<boolean> {
  const { rows } = await db.raw(
    `INSERT INTO mail_log (user_id, kind, key, recipient, subject) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (user_id, kind, key) DO NOTHING RETURNING id`,
    [m.userId, m.kind, m.key, m.recipient, m.subject],
  )
  return rows.length > 0
}

export async function markMailSent(db: Db, m: { userId: number; kind: MailKind; key: string; messageId: string | null }): Promise<void> {
  await db('mail_log').where({ user_id: m.userId, kind: m.kind, key: m.key }).update({ sent_at: db.fn.now(), message_id: m.messageId })
}

/** A mail the server refused is un-claimed, so the next run tries again. */
export async function releaseMail(db: Db, m: { userId: number; kind: MailKind; key: string }): Promise<void> {
  await db('mail_log').where({ user_id: m.userId, kind: m.kind, key: m.key }).whereNull('sent_at').delete()
}

export async function hasMail(db: Db, m: { userId: number; kind: MailKind; key: string }): Promise<boolean> {
  return (await db('mail_log').where({ user_id: m.userId, kind: m.kind, key: m.key }).first('id')) !== undefined
}
