import nodemailer from 'nodemailer'
import { hasNhsNumber } from '../identifiers.js'

// The one place mail leaves the service (decision 034). Every message passes the patient guard
// below first, whoever composed it.

export interface OutgoingMail {
  to: string
  subject: string
  text: string
}

export interface MailTransport {
  send(mail: OutgoingMail): Promise<{ messageId: string | null }>
  close(): void
}

/** A pseudonym (P-7KQ2-M9XD-4TZA) or anything shaped like one. */
const PSEUDONYM_LIKE = /\bP-[A-Z0-9]{4,}-[A-Z0-9]{2,}/i

export class PatientDataInMailError extends Error {
  constructor() {
    super('refused to send a mail that looks as if it names a patient (a pseudonym or an NHS number); mails carry counts and links only')
  }
}

/** A UUID (a report's id in a link): ten of its digits can pass the NHS number check by chance (about 2% of ids). */
const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi

/** Throws when the subject or body carries a pseudonym or a valid NHS number (UUIDs, which are ours, set aside). */
export function assertNoPatientIdentifiers(mail: Pick<OutgoingMail, 'subject' | 'text'>): void {
  for (const part of [mail.subject, mail.text].map((t) => t.replace(UUID, '[id]'))) {
    if (PSEUDONYM_LIKE.test(part) || hasNhsNumber(part)) throw new PatientDataInMailError()
  }
}

export function createMailTransport(mail: { smtpUrl: string; from: string }): MailTransport {
  const transporter = nodemailer.createTransport(mail.smtpUrl)
  return {
    async send(m) {
      assertNoPatientIdentifiers(m)
      const info = await transporter.sendMail({ from: mail.from, to: m.to, subject: m.subject, text: m.text })
      return { messageId: info.messageId ?? null }
    },
    close() {
      transporter.close()
    },
  }
}
