import { json, redirect, type AppLoadContext } from '@remix-run/node'
import { z } from 'zod'
import {
  countOverridesPending,
  getOverrideEvent,
  listOverrideQueue,
  listOverrideQueueForExport,
  countersignReview,
  listAwaitingCountersignature,
  listOverrideReviews,
  listSecondSigners,
  signOverrideReview,
  type OverrideQueueFilter,
  type OverrideQueueItem,
} from '../../db/queries/overrides.js'
import { notFound, requireAccess, requirePractice, type Access, readForm } from './access.server.js'
import { REVIEW_REASONS_LIMIT } from './limits.js'
import { csvExport } from './csv.server.js'
import { formText, readQuery } from './request.server.js'
import { refreshFindingsAfterChange } from './findings.server.js'
import { requireScope } from './scope.server.js'
import {
  OVERRIDE_KIND_LABELS as KIND_LABELS,
  OVERRIDE_REASON_LABELS as REASON_LABELS,
  OVERRIDE_STATUS_LABELS,
  USER_ROLE_LABELS,
  VERDICT_LABELS,
} from '../../core/labels.js'

type Args = { request: Request; context: AppLoadContext; params?: Record<string, string | undefined> }

export const PAGE_SIZE = 25
const DAY_MS = 86_400_000

// ---------------------------------------------------------------- words for codes

// One source of these words (core/labels.ts): the reports print the same.
export { OVERRIDE_KIND_LABELS as KIND_LABELS, OVERRIDE_REASON_LABELS as REASON_LABELS, VERDICT_LABELS } from '../../core/labels.js'

export const describeReason = (code: string | null) =>
  code === null ? 'Not given' : REASON_LABELS[code] ? `${REASON_LABELS[code]} (${code})` : `Code ${code} (not a known override reason)`

const describePurpose = (code: string | null, label: string | null) =>
  code === null ? 'Not given' : code === 'BTG' ? 'Break the glass (BTG)' : label ? `${label} (${code})` : code

const roleLabel = (role: string) => USER_ROLE_LABELS[role as keyof typeof USER_ROLE_LABELS] ?? role

// ---------------------------------------------------------------- queue

const QueueFilterSchema = z.object({
  status: z
    .enum(['pending', 'reviewed', 'all'], { message: 'Choose a status from the list: awaiting review, reviewed or all' })
    .default('all'),
  overdue: z.enum(['1', 'on', 'true'], { message: 'The "overdue only" box can only be ticked or not' }).optional(),
  page: z.coerce
    .number({ message: 'The page number must be a whole number' })
    .int('The page number must be a whole number')
    .min(1, 'Pages start at 1')
    .max(100_000, 'There are not that many pages')
    .default(1),
})

function readQueueFilter(url: URL): OverrideQueueFilter & { page: number } {
  const f = readQuery(url, QueueFilterSchema, ['status', 'overdue', 'page'], (issue) => `The filters are not valid: ${issue.message}.`)
  return { status: f.status, overdueOnly: f.overdue !== undefined, page: f.page }
}

/** What the queue and the event page show about an event: the facts in words, and its due date. */
function present(e: OverrideQueueItem, now: number) {
  const dueIn = Math.ceil((new Date(e.dueAt).getTime() - now) / DAY_MS)
  return {
    id: e.id,
    practiceOds: e.practiceOds,
    practiceName: e.practiceName,
    occurredAt: e.occurredAt,
    dueAt: e.dueAt,
    patientPseudonym: e.patientPseudonym,
    kind: e.kind,
    kindLabel: KIND_LABELS[e.kind] ?? e.kind,
    reasonCode: e.reasonCode,
    reason: describeReason(e.reasonCode),
    purposeCode: e.purposeCode,
    purpose: describePurpose(e.purposeCode, e.purposeLabel),
    legalBasis: e.legalBasisLabel ?? (e.legalBasis === null ? 'Not given' : e.legalBasis),
    actorRole: e.actorRole,
    actor: e.actor,
    recipient: e.recipientName ? `${e.recipientName}${e.recipientOds ? ` (${e.recipientOds})` : ''}` : null,
    description: e.description,
    status: e.status,
    statusLabel: OVERRIDE_STATUS_LABELS[e.status],
    overdue: e.overdue,
    /** Whole days past the due date (overdue) or left before it (awaiting review). */
    overdueDays: e.overdue ? Math.max(1, Math.floor((now - new Date(e.dueAt).getTime()) / DAY_MS)) : 0,
    dueInDays: (e.status === 'pending' || e.status === 'awaiting_countersignature') && !e.overdue ? Math.max(0, dueIn) : null,
    awaitingCountersignatureBy: e.awaitingCountersignatureBy,
    reviewCount: e.reviewCount,
    latest:
      e.latestReviewId === null
        ? null
        : {
            id: e.latestReviewId,
            verdict: e.latestVerdict!,
            verdictLabel: VERDICT_LABELS[e.latestVerdict!],
            signedAt: e.latestSignedAt!,
            escalated: !!e.latestEscalated,
            reviewerName: e.latestReviewerName!,
          },
  }
}

export async function getOverrideQueue(args: Args) {
  const { access, scope } = await requireScope(args)
  const url = new URL(args.request.url)
  const filter = readQueueFilter(url)
  const reviewDays = access.config.overrideReviewDays
  const [queue, counts, awaitingMine] = await Promise.all([
    listOverrideQueue(access.db, scope, filter, reviewDays, { limit: PAGE_SIZE, offset: (filter.page - 1) * PAGE_SIZE }),
    countOverridesPending(access.db, scope, reviewDays),
    listAwaitingCountersignature(access.db, access.viewer.id),
  ])
  const now = Date.now()
  return {
    period: { from: scope.from, to: scope.to },
    filter,
    reviewDays,
    counts,
    total: queue.total,
    page: filter.page,
    pageSize: PAGE_SIZE,
    events: queue.items.map((e) => present(e, now)),
    /** Reviews naming the viewer as second signer, awaiting their countersignature (whatever the filters). */
    awaitingMine: awaitingMine.map((a) => ({ ...a, kindLabel: KIND_LABELS[a.kind] ?? a.kind, verdictLabel: VERDICT_LABELS[a.verdict] })),
  }
}

export async function exportOverrideQueue(args: Args) {
  const { access, scope } = await requireScope(args)
  const url = new URL(args.request.url)
  const filter = readQueueFilter(url)
  const now = Date.now()
  const rows = (await listOverrideQueueForExport(access.db, scope, filter, access.config.overrideReviewDays)).map((e) => present(e, now))
  return csvExport(access, {
    name: 'overrides',
    url,
    rows,
    columns: [
      { header: 'event_id', value: (r) => r.id },
      { header: 'occurred_at', value: (r) => r.occurredAt },
      { header: 'practice', value: (r) => r.practiceOds },
      { header: 'patient_pseudonym', value: (r) => r.patientPseudonym },
      { header: 'kind', value: (r) => r.kind },
      { header: 'reason_code', value: (r) => r.reasonCode },
      { header: 'reason', value: (r) => (r.reasonCode ? r.reason : '') },
      { header: 'purpose_code', value: (r) => r.purposeCode },
      { header: 'legal_basis', value: (r) => r.legalBasis },
      { header: 'actor_role', value: (r) => r.actorRole },
      { header: 'actor', value: (r) => r.actor },
      { header: 'recipient', value: (r) => r.recipient },
      { header: 'description', value: (r) => r.description },
      { header: 'due_at', value: (r) => r.dueAt },
      { header: 'status', value: (r) => r.status },
      { header: 'overdue', value: (r) => (r.overdue ? 'yes' : 'no') },
      { header: 'reviews', value: (r) => r.reviewCount },
      { header: 'latest_verdict', value: (r) => r.latest?.verdict },
      { header: 'latest_signed_at', value: (r) => r.latest?.signedAt },
      { header: 'latest_reviewer', value: (r) => r.latest?.reviewerName },
      { header: 'escalated', value: (r) => (r.latest ? (r.latest.escalated ? 'yes' : 'no') : '') },
    ],
  })
}

// ---------------------------------------------------------------- one event

function eventIdOf(args: Args): number {
  const raw = args.params?.id ?? ''
  // Anything but a plain id is "nothing here", the same answer as an event of another practice.
  if (!/^\d{1,15}$/.test(raw)) throw notFound()
  return Number(raw)
}

async function loadEvent(access: Access, id: number) {
  const event = await getOverrideEvent(access.db, id, access.config.overrideReviewDays)
  if (!event) throw notFound()
  requirePractice(access, event.practiceId)
  return event
}

export async function getOverrideEventPage(args: Args) {
  const access = await requireAccess(args)
  const id = eventIdOf(args)
  const event = await loadEvent(access, id)
  // Looking at a patient's records is itself recorded (issue 17).
  await access.log('view_override', { practiceId: event.practiceId, target: `override:${id}`, detail: { patient: event.patientPseudonym } })
  const canReview = access.viewer.role === 'caldicott_guardian'
  const [reviews, signers] = await Promise.all([
    listOverrideReviews(access.db, id),
    canReview ? listSecondSigners(access.db, event.practiceId, access.viewer.id) : Promise.resolve([]),
  ])
  // The notice after signing names the review only if it really is this event's newest.
  const signed = Number(new URL(args.request.url).searchParams.get('signed'))
  const justSigned = reviews.find((r) => r.id === signed && r.supersededById === null)
  const current = reviews.find((r) => r.supersededById === null)
  // Only the person the current review names, signed in as themselves, may countersign it.
  const canCountersign = !!current && current.secondSignerId === access.viewer.id && current.countersignature === null
  const decided = new URL(args.request.url).searchParams.get('countersigned')
  return {
    event: present(event, Date.now()),
    reviewDays: access.config.overrideReviewDays,
    reviews: reviews.map((r) => ({
      ...r,
      verdictLabel: VERDICT_LABELS[r.verdict],
      reviewerRoleLabel: roleLabel(r.reviewerRole),
      secondSignerRoleLabel: r.secondSignerRole ? roleLabel(r.secondSignerRole) : null,
    })),
    latestReviewId: reviews.find((r) => r.supersededById === null)?.id ?? null,
    canReview,
    signers: signers.map((s) => ({ id: s.id, label: `${s.name} (${roleLabel(s.role)})` })),
    countersign: canCountersign ? { reviewId: current!.id, reviewNumber: current!.number, reviewerName: current!.reviewerName } : null,
    notice: justSigned
      ? `Your review is signed and recorded as review ${justSigned.number}${justSigned.escalated ? ', and escalated as an incident' : ''}${justSigned.secondSignerName ? `. It is complete once ${justSigned.secondSignerName} countersigns it.` : '.'}`
      : decided === 'countersigned' && current?.countersignature?.decision === 'countersigned'
        ? `You countersigned review ${current.number}: the review is complete.`
        : decided === 'declined' && current?.countersignature?.decision === 'declined'
          ? `You declined to countersign review ${current.number}. The event needs a new review.`
          : null,
  }
}

const ReviewSchema = z.object({
  verdict: z.enum(['justified', 'not_justified', 'inconclusive'], {
    message: 'Choose a verdict: justified, not justified or inconclusive',
  }),
  reasons: z
    .string()
    .trim()
    .min(1, 'Write the reasons for your verdict')
    .max(REVIEW_REASONS_LIMIT, 'The reasons are longer than 10,000 characters: shorten them'),
  secondSigner: z.union([z.literal(''), z.string().regex(/^\d{1,9}$/, 'Choose a second signer from the list')]),
  escalate: z.union([z.literal(''), z.literal('on'), z.literal('yes'), z.literal('1')]),
  supersedes: z.union([z.literal(''), z.string().regex(/^\d{1,15}$/)]),
})

export type ReviewErrors = Partial<Record<'verdict' | 'reasons' | 'secondSigner' | 'form', string>>

/**
 * Signs a Caldicott guardian review. Only guardians may (403 for anyone else); the event must
 * be in the reviewer's practices (404); the reasons are required (400, shown by the field); a
 * review that someone else superseded meanwhile is a 409 that keeps the reviewer's words.
 */
export async function reviewOverrideAction(args: Args) {
  const access = await requireAccess(args, { roles: ['caldicott_guardian'] })
  const id = eventIdOf(args)
  const event = await loadEvent(access, id)
  const form = await readForm(args.request)
  const text = (name: string) => formText(form, name)
  const values = {
    verdict: text('verdict'),
    reasons: text('reasons'),
    secondSigner: text('secondSigner'),
    escalate: text('escalate'),
    supersedes: text('supersedes'),
  }
  const parsed = ReviewSchema.safeParse(values)
  const errors: ReviewErrors = {}
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = String(issue.path[0] ?? 'form')
      const key = (['verdict', 'reasons', 'secondSigner'].includes(field) ? field : 'form') as keyof ReviewErrors
      errors[key] ??= key === 'form' ? 'The form was not complete. Reload the page and try again.' : issue.message
    }
  }
  let secondSignerId: number | null = null
  if (parsed.success && parsed.data.secondSigner !== '') {
    secondSignerId = Number(parsed.data.secondSigner)
    const allowed = await listSecondSigners(access.db, event.practiceId, access.viewer.id)
    if (!allowed.some((s) => s.id === secondSignerId)) {
      errors.secondSigner =
        secondSignerId === access.viewer.id
          ? 'The second signer must be someone other than you'
          : 'The second signer must be a Caldicott guardian or practice manager of this practice: choose one from the list'
    }
  }
  if (!parsed.success || Object.keys(errors).length > 0) return json({ errors, values }, { status: 400 })

  const result = await signOverrideReview(
    access.db,
    {
      eventId: id,
      reviewerId: access.viewer.id,
      verdict: parsed.data.verdict,
      reasons: parsed.data.reasons,
      secondSignerId,
      escalated: parsed.data.escalate !== '',
      expectedLatestId: parsed.data.supersedes === '' ? null : Number(parsed.data.supersedes),
    },
    { userId: access.viewer.id, actor: access.viewer.email, action: 'override_review', ip: args.context.ip ?? null },
  )
  if (!result.ok) {
    const conflict: ReviewErrors = {
      form: 'Someone else signed a review of this event while you were writing yours. Read their review below; your words are still in the form, and signing again will supersede their review.',
    }
    return json({ errors: conflict, values: { ...values, supersedes: undefined } }, { status: 409 })
  }
  await refreshFindingsAfterChange(access)
  // Back to the event, keeping the queue's filters for the "back" link, with the notice.
  const next = new URL(args.request.url).searchParams
  next.set('signed', String(result.reviewId))
  return redirect(`/overrides/${id}?${next}`)
}

const CountersignSchema = z.object({
  intent: z.enum(['countersign', 'decline']),
  review: z.string().regex(/^\d{1,15}$/),
  reason: z.string().trim().max(REVIEW_REASONS_LIMIT, 'The reason is longer than 10,000 characters: shorten it'),
})

export type CountersignErrors = Partial<Record<'reason' | 'form', string>>

/**
 * The second signer's decision on the review naming them: countersign, or decline with a
 * reason. Whoever else is signed in gets 403; a review superseded or decided meanwhile is a 409.
 */
export async function countersignAction(args: Args, form: FormData) {
  const access = await requireAccess(args)
  const id = eventIdOf(args)
  await loadEvent(access, id)
  const text = (name: string) => formText(form, name)
  const values = { intent: text('intent'), review: text('review'), reason: text('reason') }
  const parsed = CountersignSchema.safeParse(values)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const errors: CountersignErrors =
      issue.path[0] === 'reason' ? { reason: issue.message } : { form: 'The form was not complete. Reload the page and try again.' }
    return json({ countersignErrors: errors, values }, { status: 400 })
  }
  if (parsed.data.intent === 'decline' && parsed.data.reason === '') {
    return json(
      { countersignErrors: { reason: 'Write why you decline to countersign this review' } as CountersignErrors, values },
      { status: 400 },
    )
  }
  const reviews = await listOverrideReviews(access.db, id)
  if (!reviews.some((r) => r.id === Number(parsed.data.review))) throw notFound()
  const result = await countersignReview(
    access.db,
    {
      reviewId: Number(parsed.data.review),
      signerId: access.viewer.id,
      decision: parsed.data.intent === 'countersign' ? 'countersigned' : 'declined',
      reason: parsed.data.reason === '' ? null : parsed.data.reason,
    },
    { userId: access.viewer.id, actor: access.viewer.email, ip: args.context.ip ?? null },
  )
  if (!result.ok) {
    if (result.reason === 'not_signer') throw new Response('Only the second signer the review names can countersign it.', { status: 403 })
    if (result.reason === 'not_found') throw notFound()
    const message =
      result.reason === 'superseded'
        ? 'A newer review of this event was signed meanwhile: there is nothing left to countersign on this one.'
        : 'This review was already countersigned or declined.'
    return json({ countersignErrors: { form: message } as CountersignErrors, values }, { status: 409 })
  }
  await refreshFindingsAfterChange(access)
  const next = new URL(args.request.url).searchParams
  next.delete('signed')
  next.set('countersigned', parsed.data.intent === 'countersign' ? 'countersigned' : 'declined')
  return redirect(`/overrides/${id}?${next}`)
}

/** The event page's one action: a review by a guardian, or the second signer's decision on one. */
export async function overrideEventAction(args: Args) {
  const form = await readForm(args.request)
  const intent = form.get('intent')
  if (intent === 'countersign' || intent === 'decline') return countersignAction(args, form)
  return reviewOverrideAction(args)
}
