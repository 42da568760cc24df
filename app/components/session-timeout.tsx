import { useLocation, useNavigate } from '@remix-run/react'
import { useCallback, useEffect, useRef, useState } from 'react'
import { SESSION_WARNING_SECONDS } from '../lib/limits.js'
import { CsrfField } from './csrf-field.js'
import { saveDrafts } from './form-drafts.js'

// While the warning is open, ask the server again this often: another tab may have kept the
// session alive (the warning closes) or it may have ended early (signed out elsewhere).
const RECHECK_MS = 15_000

/**
 * How long is left, as the server sees it (GET /session, which does not extend the session).
 * 0: the session has ended; null: the server could not be asked (offline), so trust the clock.
 */
async function askSecondsLeft(): Promise<number | null> {
  try {
    const response = await fetch('/session', { redirect: 'manual', cache: 'no-store', headers: { Accept: 'application/json' } })
    if (response.type === 'opaqueredirect' || response.status === 302) return 0
    if (!response.ok) return null
    const body = (await response.json()) as { secondsLeft?: unknown }
    return typeof body.secondsLeft === 'number' ? body.secondsLeft : null
  } catch {
    return null
  }
}

function spell(seconds: number): string {
  const m = Math.floor(seconds / 60)
  const s = seconds % 60
  const parts = []
  if (m > 0) parts.push(`${m} minute${m === 1 ? '' : 's'}`)
  if (s > 0 || m === 0) parts.push(`${s} second${s === 1 ? '' : 's'}`)
  return parts.join(' ')
}

// Screen readers hear the time left in steps, not every second.
const spoken = (seconds: number) => (seconds > 60 ? '2 minutes' : seconds > 30 ? '1 minute' : seconds > 10 ? '30 seconds' : '10 seconds')

/**
 * Warns two minutes before the session ends, in a modal dialog: "Stay signed in" (extends the
 * session by a same-site post with the anti-forgery token, as any form) or "Sign out". Esc is
 * "stay signed in", as in the GOV.UK pattern. If the time runs out, what was typed on the page
 * is kept (form-drafts) and the person goes to sign in, and back here afterwards.
 *
 * `secondsLeft` comes with the root loader's data (counted by the server, so the browser's
 * clock only measures from now); before warning, the server is asked again, because pages
 * visited since then kept the session alive without the root loader running again.
 */
export function SessionTimeout({ secondsLeft, stamp, owner, csrf }: { secondsLeft: number; stamp: unknown; owner: number; csrf: string }) {
  const navigate = useNavigate()
  const { pathname, search } = useLocation()
  const dialog = useRef<HTMLDialogElement>(null)
  const stayButton = useRef<HTMLButtonElement>(null)
  const [deadline, setDeadline] = useState(() => Date.now() + secondsLeft * 1000)
  const [open, setOpen] = useState(false)
  const [now, setNow] = useState(() => Date.now())
  const [cannotExtend, setCannotExtend] = useState(false)
  const address = useRef(pathname + search)
  address.current = pathname + search
  // Once per session end: the countdown and the re-check can both find the end, and a second
  // save made while the router is already on its way to /login would key the page's words to
  // the sign-in page.
  const ended = useRef(false)

  // Fresh loader data: a fresh count from the server.
  useEffect(() => {
    setDeadline(Date.now() + secondsLeft * 1000)
    ended.current = false
  }, [secondsLeft, stamp])

  const timedOut = useCallback(() => {
    if (ended.current) return
    ended.current = true
    saveDrafts(owner, address.current.split('?')[0])
    setOpen(false)
    navigate(`/login?redirectTo=${encodeURIComponent(address.current)}&timedOut=1`)
  }, [navigate, owner])

  /** Asks the server and acts on the answer: ended, warn now, or wait. */
  const check = useCallback(async () => {
    const left = await askSecondsLeft()
    const known = left ?? Math.max(0, Math.round((deadline - Date.now()) / 1000))
    if (known <= 0) return timedOut()
    setDeadline(Date.now() + known * 1000)
    // A few seconds' slack, so a timer that fires a moment early still warns.
    setOpen(known <= SESSION_WARNING_SECONDS + 5)
  }, [deadline, timedOut])

  // Until the warning: one timer, set for two minutes before the end.
  useEffect(() => {
    if (open) return
    const timer = window.setTimeout(check, Math.max(0, deadline - SESSION_WARNING_SECONDS * 1000 - Date.now()))
    return () => window.clearTimeout(timer)
  }, [deadline, open, check])

  // While warning: count down each second, ask the server again now and then.
  useEffect(() => {
    if (!open) return
    const tick = window.setInterval(() => setNow(Date.now()), 1000)
    const recheck = window.setInterval(check, RECHECK_MS)
    return () => {
      window.clearInterval(tick)
      window.clearInterval(recheck)
    }
  }, [open, check])
  useEffect(() => {
    if (open && now >= deadline) void check()
  }, [open, now, deadline, check])

  // The dialog exists only while warning (a closed one would still be found by its name); the
  // focus goes back where it was when it closes.
  const focusBefore = useRef<Element | null>(null)
  useEffect(() => {
    const d = dialog.current
    if (open && d && !d.open) {
      focusBefore.current = document.activeElement
      setNow(Date.now())
      d.showModal()
      stayButton.current?.focus()
    } else if (!open && focusBefore.current instanceof HTMLElement) {
      focusBefore.current.focus()
      focusBefore.current = null
    }
  }, [open])

  const staySignedIn = useCallback(async () => {
    try {
      const response = await fetch('/session', {
        method: 'POST',
        redirect: 'manual',
        cache: 'no-store',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body: new URLSearchParams({ csrf }),
      })
      if (response.type === 'opaqueredirect') return timedOut()
      const body = (await response.json()) as { secondsLeft: number }
      setDeadline(Date.now() + body.secondsLeft * 1000)
      // The session's absolute end (SESSION_MAX_HOURS) cannot be moved.
      const stillEnding = body.secondsLeft <= SESSION_WARNING_SECONDS + 5
      setCannotExtend(stillEnding)
      setOpen(stillEnding)
    } catch {
      // Offline: keep warning; the countdown goes on.
    }
  }, [csrf, timedOut])

  const left = Math.max(0, Math.ceil((deadline - now) / 1000))
  if (!open) return null
  return (
    <dialog
      ref={dialog}
      className="timeout-dialog"
      aria-labelledby="timeout-heading"
      aria-describedby="timeout-message"
      data-testid="session-timeout"
      onCancel={(event) => {
        event.preventDefault()
        if (!cannotExtend) void staySignedIn()
      }}
    >
      <h2 id="timeout-heading">You’re about to be signed out</h2>
      <div id="timeout-message">
        <p>
          For your security, we will sign you out in <strong aria-hidden="true">{spell(left)}</strong>
          <span className="visually-hidden" aria-live="polite">
            {spoken(left)}
          </span>
          .
        </p>
        <p>
          {cannotExtend
            ? 'You have been signed in for as long as a session may last: sign in again to carry on.'
            : 'Anything you have typed in a form on this page is kept: sign in again to finish it.'}
        </p>
      </div>
      <div className="timeout-dialog__actions">
        {!cannotExtend && (
          <button type="button" className="button" onClick={() => void staySignedIn()} ref={stayButton}>
            Stay signed in
          </button>
        )}
        <form method="post" action="/logout" data-no-draft>
          <CsrfField />
          <button type="submit" className="button button--quiet">
            Sign out
          </button>
        </form>
      </div>
    </dialog>
  )
}
