import { statementDisclosures, statementOverrides, type StatementRow } from './queries/index.js'
import { ReportError, type ReportContext, type ReportRequest } from './context.js'
import { formatIsoDateTime } from '../core/format.js'
import { heading, keyValues, paragraph, title } from './pdf/heading.js'
import { drawTable } from './pdf/table/index.js'

// A patient's disclosure statement (UK GDPR Art. 15(1)(c): the recipients of their data; the
// accounting-of-disclosures idea of 45 CFR 164.528): every disclosure of one patient at one
// practice over a span, in plain words, with whether an opt-out was in force that day, any
// emergency access to their record and how it was reviewed, and the Art. 15 extras. The patient
// is found by pseudonym: the NHS number is pseudonymised in memory by the caller and never
// reaches this module, the database or a log.

const DATA_LEVEL_WORDS: Record<string, string> = {
  identifiable: 'Information that identifies you',
  pseudonymised: 'Information with your identity replaced by a code',
  anonymised: 'Anonymous information',
}

const OPT_OUT_NAMES: Record<string, string> = {
  ndop: 'the National Data Opt-out',
  type1: 'a Type 1 opt-out (asked at the practice)',
}

export function checkStatementRequest(r: ReportRequest): void {
  if (!r.patientPseudonym)
    throw new ReportError("A disclosure statement needs the patient's NHS number (use `ledger statement` or the Statements page).")
  if (r.practiceIds.length !== 1) throw new ReportError('A disclosure statement covers one practice.')
}

/** How the disclosure relates to the patient's opt-out, in plain words. */
function optOutWords(r: StatementRow): string {
  const inForce = (['ndop', 'type1'] as const).filter((k) => r[k] === 'deny').map((k) => OPT_OUT_NAMES[k])
  if (inForce.length === 0) return 'You had not opted out.'
  const which = `You had opted out (${inForce.join(' and ')}).`
  if (!r.opt_out_applies) return `${which} An opt-out does not cover sharing for this reason.`
  if (r.exempts_opt_out) return `${which} This sharing was made under a legal basis that an opt-out does not cover.`
  return `${which} It covered this sharing, which should not have happened: the practice is alerted to review it.`
}

export async function renderStatement(ctx: ReportContext): Promise<void> {
  const { doc, db, scope } = ctx
  const pseudonym = ctx.request.patientPseudonym!
  const practice = ctx.practices[0]!
  doc.moveDown(4)
  title(doc, 'Who we shared your information with')
  keyValues(doc, [
    ['Your GP practice', `${practice.name} (${practice.odsCode})`],
    ['Period', `${scope.from} to ${scope.to}`],
    ['Your reference', pseudonym],
    ['Statement number', ctx.id],
    ['Produced', formatIsoDateTime(ctx.generatedAt)],
  ])
  paragraph(
    doc,
    'You asked which organisations received information from your GP record, why, and on what basis. This statement lists every time your practice recorded sharing your information in the period above. ' +
      'Your reference is a code that stands for you in our records instead of your NHS number; we do not keep your NHS number with this statement.',
  )
  doc.addPage()

  heading(doc, 'Every time your information was shared')
  const rows = await statementDisclosures(db, scope, pseudonym)
  const s = ctx.section('statement_disclosures')
  rows.forEach((r) =>
    s.add([
      String(r.id),
      r.occurred_at,
      r.recipient,
      r.recipient_ods,
      r.recipient_type,
      r.purpose,
      r.legal_basis,
      r.data_level,
      r.data_description,
      r.ndop,
      r.type1,
    ]),
  )
  drawTable(
    doc,
    [
      { header: 'Date', width: 1.5 },
      { header: 'Who received it', width: 2.6 },
      { header: 'Why', width: 2.4 },
      { header: 'On what basis', width: 1.9 },
      { header: 'What was shared', width: 2.2 },
      { header: 'Your opt-out that day', width: 2.6 },
    ],
    rows.map((r) => [
      formatIsoDateTime(r.occurred_at),
      `${r.recipient}${r.recipient_ods ? ` (${r.recipient_ods})` : ''}, ${r.recipient_type.toLowerCase()}`,
      r.purpose,
      r.legal_basis ?? 'Not recorded (care usually relies on your implied consent)',
      `${DATA_LEVEL_WORDS[r.data_level] ?? r.data_level}${r.data_description ? `: ${r.data_description}` : ''}`,
      optOutWords(r),
    ]),
    { emptyText: 'Your practice recorded no sharing of your information in this period.' },
  )
  paragraph(doc, `${rows.length === 1 ? 'One time' : `${rows.length} times`} in all.`, { size: 9 })

  heading(doc, 'When someone opened your record in an emergency')
  const events = await statementOverrides(db, scope, pseudonym)
  const se = ctx.section('statement_overrides')
  events.forEach((e) => se.add([String(e.id), e.occurred_at, e.kind, e.actor_role, e.recipient, e.verdict, e.signed_at]))
  drawTable(
    doc,
    [
      { header: 'Date', width: 1.6 },
      { header: 'What happened', width: 3.4 },
      { header: 'By', width: 2.4 },
      { header: 'How the practice judged it', width: 4 },
    ],
    events.map((e) => [
      formatIsoDateTime(e.occurred_at as Date),
      e.kind === 'override_stopped' ? 'Emergency access ended' : 'Your record was opened without the usual permission, to give urgent care',
      `${e.actor_role ?? 'A member of staff'}${e.recipient ? `, ${e.recipient}` : ''}`,
      e.kind === 'override_stopped'
        ? 'Nothing to judge'
        : e.verdict
          ? `Reviewed by the practice's Caldicott guardian on ${formatIsoDateTime(e.signed_at as Date)}: ${e.verdict === 'justified' ? 'the access was justified' : `judged ${String(e.verdict).replace(/_/g, ' ')}`}`
          : 'Not yet reviewed by the practice',
    ]),
    { emptyText: 'Nobody opened your record in an emergency in this period.' },
  )

  heading(doc, 'Where your information comes from, and your rights')
  for (const text of [
    'Where it comes from: the records your GP practice keeps about your care, and the records of sharing kept by the practice’s clinical system. Sharing Ledger only keeps the record of the sharing, not your health record.',
    'Your rights: you can ask for a copy of your record, ask for something wrong to be corrected, object to some uses of your information, and opt out of your information being used for research and planning (the National Data Opt-out: www.nhs.uk/your-nhs-data-matters, or 0300 303 5678). Ask your practice about any of these.',
    'How long records of sharing are kept: as long as your GP record, following the NHS Records Management Code of Practice.',
    'If you are unhappy: please tell your practice first. You can also complain to the Information Commissioner’s Office (ICO): ico.org.uk/make-a-complaint, 0303 123 1113.',
  ]) {
    paragraph(doc, text)
  }
}
