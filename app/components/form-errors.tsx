/**
 * Form validation messages, the GOV.UK way: a summary at the top that takes focus and links to
 * each field, and the same message beside the field (linked with aria-describedby).
 */
import { useActionData, useLocation } from '@remix-run/react'
import { useEffect, useRef, type MouseEvent } from 'react'

export type FieldErrors = Record<string, string> | undefined

/** The id of a field's error message, for aria-describedby. */
export const errorId = (form: string, field: string) => `${form}-${field}-error`

export function ErrorSummary({ form, errors, fieldIds }: { form: string; errors: FieldErrors; fieldIds: Record<string, string> }) {
  const ref = useRef<HTMLDivElement>(null)
  // In the order the fields appear on the form, then anything else.
  const order = Object.keys(fieldIds)
  const rank = (field: string) => (order.includes(field) ? order.indexOf(field) : order.length)
  const entries = Object.entries(errors ?? {}).sort(([a], [b]) => rank(a) - rank(b))
  useEffect(() => {
    if (Object.keys(errors ?? {}).length > 0) ref.current?.focus()
  }, [errors])
  if (entries.length === 0) return null
  return (
    <div className="error-summary" role="alert" tabIndex={-1} ref={ref} aria-labelledby={`${form}-error-title`}>
      <h3 id={`${form}-error-title`}>There is a problem</h3>
      <ul>
        {entries.map(([field, message]) => (
          <li key={field}>
            {fieldIds[field] ? (
              <a href={`#${fieldIds[field]}`} onClick={(event) => focusField(event, fieldIds[field]!)}>
                {message}
              </a>
            ) : (
              message
            )}
          </li>
        ))}
      </ul>
    </div>
  )
}

/**
 * Moves focus to the field in place of following the link: a change of address (even of its
 * #fragment) is a navigation for the router, which would drop the errors and re-create the form,
 * wiping what was typed. A group (radios, checkboxes) focuses its first input; the field's label
 * or legend is scrolled into view with it, as the GOV.UK error summary does. Without JavaScript
 * the link still jumps to the field.
 */
function focusField(event: MouseEvent<HTMLAnchorElement>, id: string) {
  const target = document.getElementById(id)
  if (!target) return
  event.preventDefault()
  const field = target.matches('fieldset') ? (target.querySelector<HTMLElement>('input, select, textarea') ?? target) : target
  const caption = target.matches('fieldset') ? target.querySelector('legend') : document.querySelector(`label[for="${CSS.escape(id)}"]`)
  ;(caption ?? field).scrollIntoView({ block: 'start' })
  field.focus({ preventScroll: true })
}

/**
 * A key for a form that empties it after a successful submission (a redirect: a new location and
 * no action data) and keeps it after a refused one. A refused submission also lands on a new
 * location, but a moment after its errors show: keyed by the location, the form would be
 * re-created under a user who had already followed an error link, taking their focus away.
 */
export function useFormResetKey(): string {
  const location = useLocation()
  const refused = useActionData() !== undefined
  const key = useRef(location.key)
  if (!refused) key.current = location.key
  return key.current
}

export function FieldError({ form, field, errors }: { form: string; field: string; errors: FieldErrors }) {
  const message = errors?.[field]
  if (!message) return null
  return (
    <p className="field-error" id={errorId(form, field)}>
      <span className="visually-hidden">Error: </span>
      {message}
    </p>
  )
}

/** Props that tie an input to its error message and mark it invalid. */
export function fieldProps(form: string, field: string, errors: FieldErrors, hintId?: string) {
  const invalid = !!errors?.[field]
  const describedBy = [hintId, invalid ? errorId(form, field) : undefined].filter(Boolean).join(' ')
  return { 'aria-invalid': invalid || undefined, 'aria-describedby': describedBy || undefined }
}

/** For a fieldset of checkboxes: the error is described, and the group is marked with a class (aria-invalid belongs on the inputs). */
export function groupProps(form: string, field: string, errors: FieldErrors, hintId?: string) {
  const invalid = !!errors?.[field]
  const describedBy = [hintId, invalid ? errorId(form, field) : undefined].filter(Boolean).join(' ')
  return { className: invalid ? 'fieldset--error' : undefined, 'aria-describedby': describedBy || undefined }
}
