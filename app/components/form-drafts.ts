import { useFetchers, useLocation, useNavigation } from '@remix-run/react'
import { useEffect, useRef, useState } from 'react'

/**
 * A form's words survive a sign-in. When a session has ended, submitting a form sends the person
 * to sign in, and the page they come back to is empty. So, in this browser tab only
 * (sessionStorage), the values of the visible fields of the page's post forms are kept, keyed
 * by the page's path, when a form is submitted and when the session-timeout warning signs the
 * person out; when they land on that page again signed in as the same user, the values are put
 * back and the copy is deleted. A submission that the server answered (anywhere but the sign-in
 * page) deletes the copy at once. Never kept: hidden fields (the anti-forgery token), passwords,
 * files; and never restored for anyone but the user who typed them. Signing out deletes them all.
 */

const PREFIX = 'ledger-draft:'
// Longer than any session (SESSION_MAX_HOURS is at most 24 h): an older copy is stale.
const MAX_AGE_MS = 24 * 60 * 60 * 1000
const SKIPPED_TYPES = new Set(['hidden', 'password', 'file', 'submit', 'button', 'reset', 'image'])

type Fields = Record<string, string[]>
interface Draft {
  owner: number
  savedAt: number
  forms: Record<string, Fields>
}

type Field = HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement

function storage(): Storage | null {
  try {
    return window.sessionStorage
  } catch {
    return null // storage blocked: nothing is kept, nothing breaks
  }
}

function actionPath(form: HTMLFormElement): string {
  try {
    return new URL(form.action, window.location.href).pathname
  } catch {
    return ''
  }
}

/** The page's forms whose words are worth keeping: post forms in the page body, not sign-in/out. */
function draftableForms(): HTMLFormElement[] {
  return [...document.querySelectorAll<HTMLFormElement>('main form')].filter(
    (f) => f.method.toLowerCase() === 'post' && !f.hasAttribute('data-no-draft') && !['/login', '/logout'].includes(actionPath(f)),
  )
}

const formKey = (form: HTMLFormElement, index: number) => `${actionPath(form)}#${index}`

function fieldsOf(form: HTMLFormElement): Field[] {
  return [...form.elements].filter(
    (el): el is Field =>
      (el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement) &&
      el.name !== '' &&
      !el.disabled &&
      !(el instanceof HTMLInputElement && SKIPPED_TYPES.has(el.type)),
  )
}

function collect(form: HTMLFormElement): Fields | null {
  const fields: Fields = {}
  let typed = false
  for (const el of fieldsOf(form)) {
    const list = (fields[el.name] ??= [])
    if (el instanceof HTMLInputElement && (el.type === 'radio' || el.type === 'checkbox')) {
      if (el.checked) {
        list.push(el.value)
        typed = true
      }
    } else if (el instanceof HTMLSelectElement && el.multiple) {
      for (const o of el.selectedOptions) {
        list.push(o.value)
        typed = true
      }
    } else {
      list.push(el.value)
      if (el.value !== '') typed = true
    }
  }
  return typed ? fields : null
}

/** Sets a field the way typing would, so React's onChange (a character count) hears it. */
function setValue(el: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement, value: string): void {
  if (el.value === value) return
  const setter = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(el), 'value')?.set
  if (setter) setter.call(el, value)
  else el.value = value
  el.dispatchEvent(new Event(el instanceof HTMLSelectElement ? 'change' : 'input', { bubbles: true }))
}

function restore(form: HTMLFormElement, fields: Fields): boolean {
  let restored = false
  const next: Record<string, number> = {}
  for (const el of fieldsOf(form)) {
    const values = fields[el.name]
    if (!values) continue
    if (el instanceof HTMLInputElement && (el.type === 'radio' || el.type === 'checkbox')) {
      const want = values.includes(el.value)
      if (want !== el.checked && (want || el.type === 'checkbox')) el.click()
      if (want) restored = true
    } else if (el instanceof HTMLSelectElement && el.multiple) {
      for (const o of el.options) o.selected = values.includes(o.value)
      el.dispatchEvent(new Event('change', { bubbles: true }))
      restored ||= values.length > 0
    } else {
      const i = next[el.name] ?? 0
      next[el.name] = i + 1
      const value = values[i]
      if (value === undefined) continue
      setValue(el, value)
      restored ||= value !== ''
    }
  }
  return restored
}

/** Keeps what is typed in this page's post forms, for `owner`. Called on submit and on time-out. */
export function saveDrafts(owner: number, path = window.location.pathname): void {
  const store = storage()
  if (!store) return
  const forms: Record<string, Fields> = {}
  draftableForms().forEach((form, i) => {
    const fields = collect(form)
    if (fields) forms[formKey(form, i)] = fields
  })
  if (Object.keys(forms).length === 0) return
  try {
    store.setItem(PREFIX + path, JSON.stringify({ owner, savedAt: Date.now(), forms } satisfies Draft))
  } catch {
    // storage full: the words stay only on the page
  }
}

export function clearAllDrafts(): void {
  const store = storage()
  if (!store) return
  for (const key of Object.keys(store)) if (key.startsWith(PREFIX)) store.removeItem(key)
}

/**
 * Wires the drafts into the page frame for the signed-in user `owner` (null: nobody signed in).
 * Returns true while the page shows words put back after a sign-in (the frame says so).
 */
export function useFormDrafts(owner: number | null): boolean {
  const location = useLocation()
  const navigation = useNavigation()
  const fetchers = useFetchers()
  const busy = navigation.state !== 'idle' || fetchers.some((f) => f.state !== 'idle')
  const pending = useRef<{ path: string; sawBusy: boolean } | null>(null)
  const [restored, setRestored] = useState(false)

  useEffect(() => {
    if (owner === null) return
    const onSubmit = (event: SubmitEvent) => {
      const form = event.target
      if (!(form instanceof HTMLFormElement)) return
      if (actionPath(form) === '/logout') return clearAllDrafts()
      // Only submissions the router takes over (it prevents the browser's own): a plain post
      // (a file download) never comes back through the router to say it was answered.
      if (!event.defaultPrevented || !draftableForms().includes(form)) return
      saveDrafts(owner)
      pending.current = { path: window.location.pathname, sawBusy: false }
    }
    // On window, bubbling: after React's handler (Remix's <Form>) has decided, and still before
    // the router's submission changes the page (that waits for the next render).
    window.addEventListener('submit', onSubmit)
    return () => window.removeEventListener('submit', onSubmit)
  }, [owner])

  // The server answered the submission (it kept the words itself, or recorded them): drop the copy.
  useEffect(() => {
    const p = pending.current
    if (!p) return
    if (busy) {
      p.sawBusy = true
      return
    }
    if (!p.sawBusy) return
    pending.current = null
    if (location.pathname !== '/login') storage()?.removeItem(PREFIX + p.path)
  }, [busy, location])

  // Back on the page, signed in: put the words back.
  useEffect(() => {
    setRestored(false)
    if (owner === null || busy) return
    const store = storage()
    const raw = store?.getItem(PREFIX + location.pathname)
    if (!store || !raw) return
    store.removeItem(PREFIX + location.pathname)
    let draft: Draft
    try {
      draft = JSON.parse(raw) as Draft
    } catch {
      return
    }
    if (draft.owner !== owner || Date.now() - draft.savedAt > MAX_AGE_MS) return
    let any = false
    draftableForms().forEach((form, i) => {
      const fields = draft.forms[formKey(form, i)]
      if (fields && restore(form, fields)) any = true
    })
    setRestored(any)
    // Runs once per page arrival (location.key), not per busy change: the deps are deliberately few.
  }, [location.key, owner])

  return restored
}
