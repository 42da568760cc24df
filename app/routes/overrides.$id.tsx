import { json, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction, type SerializeFrom } from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData, useLocation, useNavigation } from '@remix-run/react'
import { CsrfField } from '../components/csrf-field.js'
import { ErrorSummary, FieldError, fieldProps, useFormResetKey } from '../components/form-errors.js'
import { CharacterCount } from '../components/character-count.js'
import { DueStatus } from '../components/override-due-status.js'
import { formatDateTime } from '../../core/format.js'
import { REVIEW_REASONS_LIMIT } from '../lib/limits.js'
import { getOverrideEventPage, overrideEventAction } from '../lib/overrides.server.js'

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `Override event ${data.event.id} – Sharing Ledger` : 'Override event – Sharing Ledger' },
]

export async function loader(args: LoaderFunctionArgs) {
  return json(await getOverrideEventPage(args), { headers: { 'Cache-Control': 'no-store' } })
}

export const action = (args: ActionFunctionArgs) => overrideEventAction(args)

type PageData = SerializeFrom<typeof loader>

const FORM = 'review'
const FIELD_IDS = { verdict: 'review-verdict', reasons: 'review-reasons', secondSigner: 'review-second-signer' }
const VERDICTS = [
  { value: 'justified', label: 'Justified', hint: 'The override was necessary and proportionate, with a lawful basis.' },
  { value: 'not_justified', label: 'Not justified', hint: 'The override should not have happened.' },
  { value: 'inconclusive', label: 'Inconclusive', hint: 'The record does not show enough to decide; say what is missing.' },
] as const

export default function OverrideEvent() {
  const data = useLoaderData<typeof loader>()
  const { event, reviews, notice } = data
  const { search } = useLocation()
  const back = new URLSearchParams(search)
  back.delete('signed')
  const backSearch = back.toString()
  return (
    <>
      <p>
        <Link to={`/overrides${backSearch ? `?${backSearch}` : ''}`}>Back to the override reviews</Link>
      </p>
      <h1>Override event {event.id}</h1>
      <div role="status" aria-live="polite" data-testid="review-notice">
        {notice && <p className="notice">{notice}</p>}
      </div>
      <section className="panel" aria-labelledby="event-facts-heading">
        <h2 id="event-facts-heading">What happened</h2>
        <dl className="facts">
          <div>
            <dt>When</dt>
            <dd>{formatDateTime(event.occurredAt)}</dd>
          </div>
          <div>
            <dt>Practice</dt>
            <dd>
              {event.practiceName} ({event.practiceOds})
            </dd>
          </div>
          <div>
            <dt>Patient (pseudonym)</dt>
            <dd>
              <code>{event.patientPseudonym}</code>
            </dd>
          </div>
          <div>
            <dt>Kind</dt>
            <dd>{event.kindLabel}</dd>
          </div>
          <div>
            <dt>Reason given</dt>
            <dd>{event.reason}</dd>
          </div>
          <div>
            <dt>Purpose</dt>
            <dd>{event.purpose}</dd>
          </div>
          <div>
            <dt>Legal basis</dt>
            <dd>{event.legalBasis}</dd>
          </div>
          <div>
            <dt>Done by</dt>
            <dd>{[event.actorRole, event.actor].filter(Boolean).join(', ') || 'Not recorded'}</dd>
          </div>
          <div>
            <dt>Shared with</dt>
            <dd>{event.recipient ?? 'No recipient recorded'}</dd>
          </div>
          <div>
            <dt>Description</dt>
            <dd>{event.description ?? 'None recorded'}</dd>
          </div>
          <div>
            <dt>Review due</dt>
            <dd>
              {formatDateTime(event.dueAt)} ({data.reviewDays} days after the event) <DueStatus event={event} />
            </dd>
          </div>
          <div>
            <dt>Status</dt>
            <dd data-testid="event-status">
              {event.status === 'awaiting_countersignature'
                ? `${event.latest!.verdictLabel}, awaiting countersignature by ${event.awaitingCountersignatureBy}: the review is not complete until they countersign it`
                : event.status === 'pending' && event.latest
                  ? 'Awaiting review: the second signer declined to countersign the latest review'
                  : event.latest
                    ? `Reviewed: ${event.latest.verdictLabel}`
                    : event.statusLabel}
            </dd>
          </div>
        </dl>
      </section>
      <section className="panel" aria-labelledby="reviews-heading">
        <h2 id="reviews-heading">Reviews</h2>
        {reviews.length === 0 ? (
          <p data-testid="no-reviews">
            No review has been signed yet.{' '}
            {data.canReview ? 'Sign one with the form below.' : 'A Caldicott guardian of the practice signs the review.'}
          </p>
        ) : (
          <>
            <p className="hint">Newest first. A signed review is never changed: a later review supersedes it, and both stay on record.</p>
            <ol className="review-list" reversed>
              {reviews.map((r) => (
                <ReviewEntry key={r.id} review={r} />
              ))}
            </ol>
          </>
        )}
      </section>
      {data.countersign && <CountersignForm data={data} />}
      {data.canReview ? (
        <ReviewForm data={data} />
      ) : (
        <p className="panel" data-testid="review-not-allowed">
          Only a Caldicott guardian of the practice can sign a review. You can read the event and its reviews here.
        </p>
      )}
    </>
  )
}

function ReviewEntry({ review: r }: { review: PageData['reviews'][number] }) {
  const superseded = r.supersededByNumber !== null
  return (
    <li className={superseded ? 'review review--superseded' : 'review'} data-testid={`review-${r.number}`}>
      <article aria-labelledby={`review-${r.id}-heading`}>
        <h3 id={`review-${r.id}-heading`}>
          Review {r.number}: {r.verdictLabel}
          {superseded ? (
            <span className="tag tag--muted"> Superseded by review {r.supersededByNumber}</span>
          ) : (
            <span className="tag"> Current</span>
          )}
        </h3>
        <dl className="facts">
          <div>
            <dt>Signed by</dt>
            <dd>
              {r.reviewerName} ({r.reviewerRoleLabel}), {formatDateTime(r.signedAt)}
            </dd>
          </div>
          <div>
            <dt>Second signer</dt>
            <dd data-testid={`review-${r.number}-second-signer`}>
              {r.secondSignerName === null
                ? 'None'
                : r.countersignature === null
                  ? `${r.secondSignerName} (${r.secondSignerRoleLabel}): ${superseded ? 'did not countersign before it was superseded' : 'awaiting countersignature'}`
                  : r.countersignature.decision === 'countersigned'
                    ? `Countersigned by ${r.countersignature.signerName} (${r.secondSignerRoleLabel}), ${formatDateTime(r.countersignature.signedAt)}`
                    : `Declined by ${r.countersignature.signerName} (${r.secondSignerRoleLabel}), ${formatDateTime(r.countersignature.signedAt)}`}
            </dd>
          </div>
          {r.countersignature?.decision === 'declined' && (
            <div>
              <dt>Reason for declining</dt>
              <dd className="reasons">{r.countersignature.reason}</dd>
            </div>
          )}
          <div>
            <dt>Escalated to incident</dt>
            <dd>{r.escalated ? 'Yes' : 'No'}</dd>
          </div>
          {r.supersedesNumber !== null && (
            <div>
              <dt>Supersedes</dt>
              <dd>Review {r.supersedesNumber}</dd>
            </div>
          )}
          <div>
            <dt>Reasons</dt>
            <dd className="reasons">{r.reasons}</dd>
          </div>
        </dl>
      </article>
    </li>
  )
}

function ReviewForm({ data }: { data: PageData }) {
  const failed = useActionData<typeof action>()
  const navigation = useNavigation()
  const busy = navigation.state === 'submitting'
  const errors = failed && 'errors' in failed ? failed.errors : undefined
  const values: Record<string, string | undefined> = failed && 'values' in failed ? failed.values : {}
  const { search } = useLocation()
  // A new key after each signed review (the redirect is a new location) empties the form.
  const formKey = useFormResetKey()
  const latest = data.reviews.find((r) => r.id === data.latestReviewId)
  const superseding = latest !== undefined
  return (
    <section className="panel" aria-labelledby="review-form-heading">
      <h2 id="review-form-heading">{superseding ? `Sign a new review (supersedes review ${latest.number})` : 'Sign the review'}</h2>
      <p className="hint">
        {superseding
          ? 'A signed review cannot be edited. If it needs correcting or more is now known, sign a new review: it supersedes the current one and both stay on record.'
          : 'Your review is signed in your name with today’s date and cannot be edited afterwards.'}
        {data.event.status === 'not_required' &&
          ' This event records the end of an emergency access; the access that started it is the event that needs a review.'}
      </p>
      <ErrorSummary form={FORM} errors={errors} fieldIds={FIELD_IDS} />
      <Form method="post" action={`/overrides/${data.event.id}${search}`} className="stack admin-form review-form" noValidate key={formKey}>
        <CsrfField />
        <input type="hidden" name="supersedes" value={data.latestReviewId ?? ''} />
        <fieldset id={FIELD_IDS.verdict} tabIndex={-1} {...fieldProps(FORM, 'verdict', errors)}>
          <legend>Verdict</legend>
          <FieldError form={FORM} field="verdict" errors={errors} />
          <div className="radios">
            {VERDICTS.map((v) => (
              <div key={v.value}>
                <input
                  type="radio"
                  id={`review-verdict-${v.value}`}
                  name="verdict"
                  value={v.value}
                  defaultChecked={values.verdict === v.value}
                  aria-describedby={`review-verdict-${v.value}-hint`}
                />
                <label htmlFor={`review-verdict-${v.value}`}>{v.label}</label>
                <div className="hint" id={`review-verdict-${v.value}-hint`}>
                  {v.hint}
                </div>
              </div>
            ))}
          </div>
        </fieldset>
        <div>
          <label htmlFor={FIELD_IDS.reasons}>Reasons</label>
          <p className="hint" id="review-reasons-hint">
            Why you reached this verdict: the facts you relied on, who you spoke to, and the legal basis.
          </p>
          <FieldError form={FORM} field="reasons" errors={errors} />
          <CharacterCount
            id={FIELD_IDS.reasons}
            name="reasons"
            rows={6}
            required
            limit={REVIEW_REASONS_LIMIT}
            defaultValue={values.reasons ?? ''}
            aria-invalid={errors?.reasons ? true : undefined}
            describedBy={fieldProps(FORM, 'reasons', errors, 'review-reasons-hint')['aria-describedby']}
          />
        </div>
        <div>
          <label htmlFor={FIELD_IDS.secondSigner}>Second signer (optional)</label>
          <p className="hint" id="review-second-signer-hint">
            Another Caldicott guardian or the practice manager of {data.event.practiceName} who agrees with this review.
          </p>
          <FieldError form={FORM} field="secondSigner" errors={errors} />
          <select
            id={FIELD_IDS.secondSigner}
            name="secondSigner"
            defaultValue={values.secondSigner ?? ''}
            {...fieldProps(FORM, 'secondSigner', errors, 'review-second-signer-hint')}
          >
            <option value="">No second signer</option>
            {data.signers.map((s) => (
              <option key={s.id} value={s.id}>
                {s.label}
              </option>
            ))}
          </select>
        </div>
        <div className="checkboxes">
          <div>
            <input
              type="checkbox"
              id="review-escalate"
              name="escalate"
              value="on"
              defaultChecked={values.escalate === 'on'}
              aria-describedby="review-escalate-hint"
            />
            <label htmlFor="review-escalate">Escalate to an incident</label>
          </div>
          <p className="hint" id="review-escalate-hint">
            Tick when the override needs an incident review (for example a breach to report).
          </p>
        </div>
        <button type="submit" className="button" disabled={busy}>
          {busy ? 'Signing…' : 'Sign review'}
        </button>
      </Form>
    </section>
  )
}

const CS_FORM = 'countersign'

/** For the second signer the current review names: countersign it, or decline with a reason. */
function CountersignForm({ data }: { data: PageData }) {
  const failed = useActionData<typeof action>()
  const navigation = useNavigation()
  const busy = navigation.state === 'submitting'
  const errors = failed && 'countersignErrors' in failed ? failed.countersignErrors : undefined
  const values: Record<string, string | undefined> = failed && 'countersignErrors' in failed ? failed.values : {}
  const { search } = useLocation()
  const cs = data.countersign!
  return (
    <section className="panel" aria-labelledby="countersign-heading" data-testid="countersign-panel">
      <h2 id="countersign-heading">Your countersignature</h2>
      <p className="hint">
        {cs.reviewerName} named you as second signer of review {cs.reviewNumber}. Read it above: the review is complete only when you
        countersign it. If you do not agree, decline and say why; the event then needs a new review. Either way your decision is signed in
        your name and cannot be changed.
      </p>
      <ErrorSummary form={CS_FORM} errors={errors} fieldIds={{ reason: 'countersign-reason' }} />
      <Form method="post" action={`/overrides/${data.event.id}${search}`} className="stack admin-form" noValidate>
        <CsrfField />
        <input type="hidden" name="review" value={cs.reviewId} />
        <div>
          <label htmlFor="countersign-reason">Reason (required to decline)</label>
          <FieldError form={CS_FORM} field="reason" errors={errors} />
          <CharacterCount
            id="countersign-reason"
            name="reason"
            rows={3}
            limit={REVIEW_REASONS_LIMIT}
            defaultValue={values.reason ?? ''}
            aria-invalid={errors?.reason ? true : undefined}
            describedBy={fieldProps(CS_FORM, 'reason', errors)['aria-describedby']}
          />
        </div>
        <div>
          <button type="submit" name="intent" value="countersign" className="button" disabled={busy}>
            Countersign review {cs.reviewNumber}
          </button>{' '}
          <button type="submit" name="intent" value="decline" className="button button--secondary" disabled={busy}>
            Decline to countersign
          </button>
        </div>
      </Form>
    </section>
  )
}
