import { listOverridesWithReviews, type OverrideReviewRow } from '../queries/index.js'
import { reviewTiming as reviewTimingInWords } from '../review-timing.js'
import { formatCount, formatIsoDateTime } from '../../core/format.js'
import { keyValues, paragraph } from '../pdf/heading.js'
import { Table } from '../pdf/table/index.js'
import { PSEUDONYM_SAMPLE, type AuditPack } from './pack.js'

export async function overridesSection({ ctx, labels, section, reviewDays }: AuditPack): Promise<void> {
  const { doc, db, scope } = ctx
  // Overrides with reviews: when each review was due, whether it was late, which review stands
  section('5. Override events and their reviews')
  paragraph(
    doc,
    `A Caldicott guardian's review is due ${reviewDays} days after the event. A signed review is never edited: a later review supersedes it, ` +
      'and both are listed; "Standing" gives the number of each review and whether it is current or which review superseded it. Lateness is counted to the first review, or to the time of this report when there is none.',
    { size: 9 },
  )
  const overrides = await listOverridesWithReviews(db, scope, reviewDays)
  const so = ctx.section('overrides')
  const ot = new Table(
    doc,
    [
      { header: 'Event', width: 0.1, token: true, fit: '12345' },
      { header: 'When', width: 0.1, fit: '2026-10-25' },
      { header: 'Practice / patient', width: 0.1, fit: PSEUDONYM_SAMPLE },
      { header: 'Kind, reason, role', width: 2.6 },
      { header: 'Due, lateness', width: 2.2, fit: '(due 2026-10-25 01:59)' },
      { header: 'Standing', width: 1.6, fit: 'superseded by 12345' },
      { header: 'Review', width: 4.6 },
    ],
    { fontSize: 7 },
  )
  let overdue = 0
  let late = 0
  const counted = new Set<unknown>()
  for (const r of overrides) {
    const timing = reviewTiming(r)
    if (!counted.has(r.id)) {
      counted.add(r.id)
      if (timing.startsWith('Overdue')) overdue++
      if (/ late/.test(timing)) late++
    }
    so.add([
      String(r.id),
      r.occurred_at,
      r.ods_code,
      r.patient_pseudonym,
      r.kind,
      r.reason_code,
      r.actor_role,
      r.due_at,
      r.review_id == null ? null : String(r.review_id),
      r.verdict,
      r.reasons,
      r.signed_at,
      r.reviewer,
      r.second_signer,
      r.superseded_by == null ? null : String(r.superseded_by),
      r.cs_decision,
      r.cs_signed_at,
      r.cs_reason,
    ])
    const standing =
      r.review_id == null ? '' : r.superseded_by == null ? `${r.review_id}: current` : `${r.review_id}: superseded by ${r.superseded_by}`
    const review =
      r.review_id == null
        ? r.kind === 'override_stopped'
          ? 'None needed'
          : 'Not reviewed'
        : `${labels.verdict(r.verdict!)} by ${r.reviewer} at ${formatIsoDateTime(r.signed_at!)}${countersignature(r)}${r.escalated ? ' (escalated)' : ''}: ${r.reasons}`
    const kindReasonRole = [
      labels.overrideKind(r.kind),
      r.reason_code ? `reason: ${labels.overrideReason(r.reason_code)}` : null,
      r.actor_role ? `by ${r.actor_role}` : null,
    ]
    ot.addRow([
      String(r.id),
      formatIsoDateTime(r.occurred_at).replace(' ', '\n'),
      `${r.ods_code}\n${r.patient_pseudonym}`,
      kindReasonRole.filter(Boolean).join('; '),
      timing,
      standing,
      review,
    ])
  }
  if (overrides.length === 0) ot.addSpanningRow('No override events in the period.')
  ot.end()
  keyValues(doc, [
    ['Reviews overdue', formatCount(overdue)],
    ['Reviews signed late', formatCount(late)],
  ])
}

/** An event's review timing: due date, and whether the first review was late or is overdue (at the report's snapshot). */
function reviewTiming(r: OverrideReviewRow): string {
  return reviewTimingInWords(r.kind, r.due_at, r.first_signed_at, r.as_of)
}

/** Who countersigned a review and when, or that they declined (why) or have not yet signed. */
function countersignature(r: OverrideReviewRow): string {
  if (!r.second_signer) return ''
  if (r.cs_decision === 'countersigned') return `; countersigned by ${r.second_signer} at ${formatIsoDateTime(r.cs_signed_at!)}`
  if (r.cs_decision === 'declined')
    return `; ${r.second_signer} declined to countersign at ${formatIsoDateTime(r.cs_signed_at!)} (${r.cs_reason})`
  return `; awaiting countersignature by ${r.second_signer}`
}
