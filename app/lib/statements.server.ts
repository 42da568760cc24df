import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { AppLoadContext } from '@remix-run/node'
import { requireSigningKey } from '../../config/env.js'
import { pseudonymiseNhsNumber } from '../../jobs/pseudonym.js'
import { checkValue, NhsNumber } from '../../core/inputs.js'
import { formText } from './request.server.js'
import { produceReport, type ProducedReport } from '../../reports/index.js'
import { notFound, readForm, requireAccess } from './access.server.js'
import { checkPeriodFields } from './period.server.js'
import { deliverProducedReport, REPORT_ROLES } from './reports.server.js'
import { defaultStatementPeriod } from '../../core/statement-period.js'

// A patient's disclosure statement from the dashboard (issue 17). The NHS number is typed into
// the form, checked (modulus 11), pseudonymised in memory with the collectors' key and dropped:
// it is never stored, logged or put in an address. The action hands the page a one-use ticket
// (a random token holding the pseudonym and scope, in this process's memory for five minutes);
// the download link fetches the statement with it, so the PDF comes from a resource route.

type Args = { request: Request; context: AppLoadContext }

export const STATEMENT_ROLES = REPORT_ROLES.statement
const TICKET_MS = 5 * 60_000
const TICKET = /^[0-9a-f]{32}$/

interface Ticket {
  userId: number
  practiceId: number
  pseudonym: string
  from: string
  to: string
  at: number
}
const tickets = new Map<string, Ticket>()

export interface StatementValues {
  practice: string
  nhsNumber: string
  from: string
  to: string
}
export type StatementErrors = Partial<Record<keyof StatementValues, string>>

export async function getStatementPage(args: Args) {
  const access = await requireAccess(args, { roles: STATEMENT_ROLES })
  return { practices: access.viewer.practices.map((p) => ({ odsCode: p.odsCode, name: p.name })), defaults: defaultStatementPeriod() }
}

/** Checks the form; on success keeps a ticket for the download link. The NHS number goes no further than this function. */
export async function requestStatement(
  args: Args,
): Promise<{ ok: true; ticket: string } | { ok: false; errors: StatementErrors; values: StatementValues }> {
  const access = await requireAccess(args, { roles: STATEMENT_ROLES })
  const form = await readForm(args.request)
  const text = (name: string) => formText(form, name).slice(0, 64)
  const values: StatementValues = { practice: text('practice'), nhsNumber: text('nhsNumber'), from: text('from'), to: text('to') }
  const errors: StatementErrors = {}
  const practice = access.viewer.practices.find((p) => p.odsCode === values.practice.toUpperCase())
  if (!practice) errors.practice = 'Choose the practice whose records to search.'
  const nhs = checkValue(NhsNumber, values.nhsNumber)
  if (!nhs.ok) errors.nhsNumber = nhs.message
  Object.assign(errors, checkPeriodFields(values.from, values.to))
  if (Object.keys(errors).length > 0 || !practice || !nhs.ok) return { ok: false, errors, values }
  const digits = nhs.value

  const now = Date.now()
  for (const [k, t] of tickets) if (now - t.at > TICKET_MS) tickets.delete(k)
  const ticket = crypto.randomBytes(16).toString('hex')
  tickets.set(ticket, {
    userId: access.viewer.id,
    practiceId: practice.id,
    pseudonym: pseudonymiseNhsNumber(access.config.pseudonymKey, digits),
    from: values.from.trim(),
    to: values.to.trim(),
    at: now,
  })
  return { ok: true, ticket }
}

/** GET /statements/download?ticket=: produces the statement and sends it; recorded and logged (by pseudonym) once sent. */
export async function downloadStatement(args: Args): Promise<Response> {
  const access = await requireAccess(args, { roles: STATEMENT_ROLES })
  const key = new URL(args.request.url).searchParams.get('ticket') ?? ''
  const ticket = TICKET.test(key) ? tickets.get(key) : undefined
  if (!ticket || ticket.userId !== access.viewer.id || Date.now() - ticket.at > TICKET_MS) {
    throw new Response('This download link has expired or was already used. Enter the NHS number again on the Statements page.', {
      status: 410,
    })
  }
  tickets.delete(key) // one use
  if (!access.viewer.practices.some((p) => p.id === ticket.practiceId)) throw notFound()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-statement-'))
  const file = path.join(dir, 'statement.pdf')
  let produced: ProducedReport
  args.context.leaveTurn?.() // seconds of work: pages are not kept waiting behind it (server/request-gate.ts)
  try {
    produced = await produceReport(
      access.db,
      {
        kind: 'statement',
        practiceIds: [ticket.practiceId],
        from: ticket.from,
        to: ticket.to,
        patientPseudonym: ticket.pseudonym,
        generatedBy: access.viewer.email,
        generatedByUserId: access.viewer.id,
        signingKey: requireSigningKey(access.config),
      },
      file,
    )
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true })
    throw err
  }
  return deliverProducedReport(args, access, produced, dir, file, 'statement_download', { patient: ticket.pseudonym })
}
