import type { Db } from '../../db/client.js'
import {
  claimMail,
  hasMail,
  listMailRecipients,
  listUnsentHighFindingAlerts,
  markMailSent,
  releaseMail,
  type MailKind,
} from '../../db/queries/mail-log.js'
import { DUE_SOON_DAYS, listNotifications } from '../../db/queries/notifications.js'
import { composeDigest, composeHighFindingAlert, dayIn, type ComposedMail } from './messages.js'
import type { MailTransport } from './transport.js'

// The two mail operations (decision 034), shared by the scheduler and `ledger mail ...`. Each
// mail is claimed in mail_log before it is sent (at most once per user and key, across
// processes and re-runs), marked sent when the server accepts it, and un-claimed when the
// server refuses it, so the next run tries again.

export interface MailDeps {
  db: Db
  /** Null for a dry run: nothing is sent or recorded. */
  transport: MailTransport | null
  publicUrl: string
  overrideReviewDays: number
  timezone: string
  ruleTitle: (ruleId: string) => string
  now?: Date
  log?: (line: string) => void
}

export interface PlannedMail {
  to: string
  subject: string
  /** 'sent', 'already sent' (an earlier run), 'would send' (dry run) or 'failed: ...'. */
  outcome: string
}

export interface MailRunResult {
  /** Users (digest) or finding-and-guardian pairs (alerts) considered. */
  considered: number
  sent: number
  alreadySent: number
  failed: number
  mails: PlannedMail[]
}

/** Claims, sends and records one mail (or, without a transport, says whether it would go). */
export async function deliver(
  deps: Pick<MailDeps, 'db' | 'transport' | 'log'>,
  result: MailRunResult,
  key: { userId: number; kind: MailKind; key: string },
  to: string,
  mail: ComposedMail,
): Promise<void> {
  const planned: PlannedMail = { to, subject: mail.subject, outcome: '' }
  result.mails.push(planned)
  if (!deps.transport) {
    planned.outcome = (await hasMail(deps.db, key)) ? 'already sent' : 'would send'
    return
  }
  if (!(await claimMail(deps.db, { ...key, recipient: to, subject: mail.subject }))) {
    planned.outcome = 'already sent'
    result.alreadySent += 1
    return
  }
  try {
    const { messageId } = await deps.transport.send({ to, ...mail })
    await markMailSent(deps.db, { ...key, messageId })
    planned.outcome = 'sent'
    result.sent += 1
  } catch (err) {
    await releaseMail(deps.db, key)
    planned.outcome = `failed: ${(err as Error).message}`
    result.failed += 1
    deps.log?.(`mail to ${to} (${key.kind} ${key.key}) failed: ${(err as Error).message}`)
  }
}

/**
 * One digest per user per day (in the schedule's time zone) of what /notifications lists for
 * them, as counts and links by kind. Users with nothing are not mailed.
 */
export async function sendDailyDigests(deps: MailDeps): Promise<MailRunResult> {
  const now = deps.now ?? new Date()
  const day = dayIn(deps.timezone, now)
  const result: MailRunResult = { considered: 0, sent: 0, alreadySent: 0, failed: 0, mails: [] }
  for (const user of await listMailRecipients(deps.db)) {
    result.considered += 1
    const items = await listNotifications(
      deps.db,
      { userId: user.userId, role: user.role, practiceIds: user.practiceIds },
      deps.overrideReviewDays,
      deps.ruleTitle,
      now,
    )
    const mail = composeDigest({ displayName: user.displayName, day, items, publicUrl: deps.publicUrl, dueSoonDays: DUE_SOON_DAYS })
    if (!mail) continue
    await deliver(deps, result, { userId: user.userId, kind: 'digest', key: day }, user.email, mail)
  }
  return result
}

/** Each new high-severity finding, mailed once to each Caldicott guardian of its practice. */
export async function sendHighFindingAlerts(deps: MailDeps): Promise<MailRunResult> {
  const result: MailRunResult = { considered: 0, sent: 0, alreadySent: 0, failed: 0, mails: [] }
  for (const a of await listUnsentHighFindingAlerts(deps.db)) {
    result.considered += 1
    const mail = composeHighFindingAlert({
      displayName: a.displayName,
      findingId: a.findingId,
      practiceName: a.practiceName,
      practiceOds: a.practiceOds,
      ruleTitle: deps.ruleTitle(a.ruleId),
      publicUrl: deps.publicUrl,
    })
    await deliver(deps, result, { userId: a.userId, kind: 'high_finding', key: String(a.findingId) }, a.email, mail)
  }
  return result
}
