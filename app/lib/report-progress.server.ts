import type { ReportProgress } from '../../reports/context.js'

// How far each report being produced for the web has got, so the /reports page can say so while
// the browser waits for the file. In this process's memory: the web server is one process, and
// progress matters only while the request that produces the report is running. A token is made
// by the page (a random UUID) and is only ever read back by the user who produced the report.

export const PROGRESS_TOKEN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

interface Entry extends ReportProgress {
  userId: number
  finished: boolean
  at: number
}

const KEEP_MS = 10 * 60_000
const MAX_ENTRIES = 1000
const entries = new Map<string, Entry>()

function forget(now: number): void {
  for (const [token, e] of entries) if (now - e.at > KEEP_MS || entries.size > MAX_ENTRIES) entries.delete(token)
}

/** The producing request's side: a callback for the report, and the end. */
export function trackProgress(token: string, userId: number) {
  const now = Date.now()
  forget(now)
  entries.set(token, { userId, stage: 'Starting', done: 0, total: 0, finished: false, at: now })
  return {
    onProgress(p: ReportProgress) {
      const e = entries.get(token)
      if (e) Object.assign(e, p, { at: Date.now() })
    },
    finish() {
      const e = entries.get(token)
      if (e) Object.assign(e, { finished: true, at: Date.now() })
    },
  }
}

/** The page's side: this user's report's progress, or null (unknown, another user's, or forgotten). */
export function readProgress(token: string, userId: number): (ReportProgress & { finished: boolean }) | null {
  const e = entries.get(token)
  if (!e || e.userId !== userId) return null
  return { stage: e.stage, done: e.done, total: e.total, finished: e.finished }
}
