import { Form } from '@remix-run/react'
import type { ReactNode } from 'react'
import { CharacterCount } from './character-count.js'
import { CsrfField } from './csrf-field.js'
import { ErrorSummary, FieldError, fieldProps } from './form-errors.js'
import { FINDING_REASON_LIMIT } from '../lib/limits.js'

const FORM = 'decision'
const FIELD_IDS = { status: 'decision-status', reason: 'reason' }
const DECISIONS = [
  { value: 'accepted', label: 'Accept', hint: 'The finding stands and the practice accepts it (for example a lawful exception).' },
  { value: 'resolved', label: 'Resolve', hint: 'The cause has been dealt with.' },
  { value: 'open', label: 'Reopen', hint: 'The finding needs action again.' },
] as const

/**
 * Accept, resolve or reopen with a reason: one finding (/findings/<id>) or a whole case
 * (/findings/case). The same radios, hints, error summary and character count as the override review.
 */
export function DecisionForm({
  status,
  formKey,
  errors,
  values,
  busy,
  heading = 'Decide',
  intro,
  submitLabel = 'Record decision',
}: {
  status: string
  /** A new key once a decision is recorded empties the form: the last reason is on record above. */
  formKey: string
  errors: Record<string, string> | undefined
  values: { reason?: string; status?: string } | undefined
  busy: boolean
  heading?: string
  intro?: ReactNode
  submitLabel?: string
}) {
  return (
    <section className="panel" aria-labelledby="decide-heading">
      <h2 id="decide-heading">{heading}</h2>
      {intro}
      <ErrorSummary form={FORM} errors={errors} fieldIds={FIELD_IDS} />
      <Form method="post" className="stack admin-form review-form" noValidate key={formKey}>
        <CsrfField />
        <fieldset id={FIELD_IDS.status} tabIndex={-1} {...fieldProps(FORM, 'status', errors)}>
          <legend>Decision</legend>
          <FieldError form={FORM} field="status" errors={errors} />
          <div className="radios">
            {DECISIONS.filter((d) => d.value !== status).map((d) => (
              <div key={d.value}>
                <input
                  type="radio"
                  id={`status-${d.value}`}
                  name="status"
                  value={d.value}
                  defaultChecked={values?.status === d.value}
                  aria-describedby={`status-${d.value}-hint`}
                />
                <label htmlFor={`status-${d.value}`}>{d.label}</label>
                <div className="hint" id={`status-${d.value}-hint`}>
                  {d.hint}
                </div>
              </div>
            ))}
          </div>
        </fieldset>
        <div>
          <label htmlFor={FIELD_IDS.reason}>Reason</label>
          <FieldError form={FORM} field="reason" errors={errors} />
          <CharacterCount
            id={FIELD_IDS.reason}
            name="reason"
            rows={5}
            required
            limit={FINDING_REASON_LIMIT}
            defaultValue={values?.reason ?? ''}
            aria-invalid={errors?.reason ? true : undefined}
            describedBy={fieldProps(FORM, 'reason', errors)['aria-describedby']}
          />
        </div>
        <button type="submit" className="button" disabled={busy}>
          {submitLabel}
        </button>
      </Form>
    </section>
  )
}
