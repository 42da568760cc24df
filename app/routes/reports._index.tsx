import { json, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData, useRouteLoaderData } from '@remix-run/react'
import { useEffect, useRef, useState, type FormEvent } from 'react'
import { CsrfField } from '../components/csrf-field.js'
import { ErrorSummary, FieldError, fieldProps, groupProps } from '../components/form-errors.js'
import { formatDateTime, formatDay } from '../../core/format.js'
import { DataTable } from '../components/data-table.js'
import { REPORT_KIND_LABELS } from '../../core/labels.js'
import { getReportsPage, verifyUpload } from '../lib/reports.server.js'
import type { loader as rootLoader } from '../root.js'

export const meta: MetaFunction = () => [{ title: 'Reports – Sharing Ledger' }]

export async function loader(args: LoaderFunctionArgs) {
  return json(await getReportsPage(args), { headers: { 'Cache-Control': 'no-store' } })
}

/** "Check a report". Producing one posts to the resource route /reports/download (the PDF is its answer). */
export async function action(args: ActionFunctionArgs) {
  const result = await verifyUpload(args)
  return json(result, { status: result.ok ? 200 : 400 })
}

const FORM = 'report'
const FIELD_IDS = { kind: 'report-kind', practice: 'report-practices', from: 'report-from', to: 'report-to', eventId: 'report-event' }

export default function Reports() {
  const { exports, allowed, form, keepDays, signingKey } = useLoaderData<typeof loader>()
  const verdict = useActionData<typeof action>()
  const viewer = useRouteLoaderData<typeof rootLoader>('root')?.viewer
  const practices = viewer?.practices ?? []
  const errors = form?.errors
  const values = form?.values
  const progress = useReportProgress()
  return (
    <>
      <h1>Reports</h1>
      {(viewer?.role === 'admin' || viewer?.role === 'practice_manager') && (
        <p>
          <Link to="/reports/schedules">Scheduled reports</Link>: produce a report on a schedule and mail its recipients a link.
        </p>
      )}
      {allowed.length > 0 && (
        <section className="panel" aria-labelledby="produce-heading">
          <h2 id="produce-heading">Produce a report</h2>
          <p className="hint">
            The PDF downloads to your computer. It is recorded with its SHA-256 digest, so it can be proved genuine later, and the download
            is written to the access log once the whole file has been sent.
          </p>
          <ErrorSummary form={FORM} errors={errors} fieldIds={FIELD_IDS} />
          {/* A plain form post (reloadDocument) to a resource route: its answer is the file. A request to correct comes back here with its values. */}
          <Form method="post" action="/reports/download" reloadDocument noValidate className="stack" onSubmit={progress.start}>
            <CsrfField />
            {/* no value prop: for a hidden input React's defaultValue is its value, and the re-render on submit would reset the token */}
            <input type="hidden" name="progress" />
            <div>
              <label htmlFor={FIELD_IDS.kind}>Report</label>
              <FieldError form={FORM} field="kind" errors={errors} />
              <select
                id={FIELD_IDS.kind}
                name="kind"
                required
                defaultValue={values?.kind ?? allowed[0]}
                {...fieldProps(FORM, 'kind', errors)}
              >
                {allowed.map((k) => (
                  <option key={k} value={k}>
                    {REPORT_KIND_LABELS[k]}
                  </option>
                ))}
              </select>
            </div>
            <fieldset id={FIELD_IDS.practice} tabIndex={-1} {...groupProps(FORM, 'practice', errors)}>
              <legend>Practices (none ticked: all of yours; an annual Caldicott report covers one)</legend>
              <FieldError form={FORM} field="practice" errors={errors} />
              {practices.map((p) => (
                <div key={p.odsCode}>
                  <input
                    type="checkbox"
                    id={`practice-${p.odsCode}`}
                    name="practice"
                    value={p.odsCode}
                    defaultChecked={values?.practice.includes(p.odsCode)}
                  />{' '}
                  <label htmlFor={`practice-${p.odsCode}`} style={{ display: 'inline' }}>
                    {p.name} ({p.odsCode})
                  </label>
                </div>
              ))}
            </fieldset>
            <div>
              <label htmlFor={FIELD_IDS.from}>From</label>
              <FieldError form={FORM} field="from" errors={errors} />
              <input
                id={FIELD_IDS.from}
                name="from"
                type="date"
                required
                defaultValue={values?.from}
                {...fieldProps(FORM, 'from', errors)}
              />
            </div>
            <div>
              <label htmlFor={FIELD_IDS.to}>To</label>
              <FieldError form={FORM} field="to" errors={errors} />
              <input id={FIELD_IDS.to} name="to" type="date" required defaultValue={values?.to} {...fieldProps(FORM, 'to', errors)} />
            </div>
            <div>
              <label htmlFor={FIELD_IDS.eventId}>Override event number (incident review only)</label>
              <FieldError form={FORM} field="eventId" errors={errors} />
              <input
                id={FIELD_IDS.eventId}
                name="eventId"
                inputMode="numeric"
                defaultValue={values?.eventId}
                {...fieldProps(FORM, 'eventId', errors)}
              />
            </div>
            <button type="submit" className="button">
              Produce and download
            </button>
          </Form>
          <div role="status" aria-live="polite" data-testid="report-progress">
            {progress.state && !progress.state.finished && (
              <p>
                Producing the report: {progress.state.stage}
                {progress.state.total > 0
                  ? `, ${progress.state.done.toLocaleString('en-GB')} of ${progress.state.total.toLocaleString('en-GB')} rows`
                  : ''}
                .{' '}
                <progress
                  value={progress.state.total > 0 ? progress.state.done : undefined}
                  max={progress.state.total > 0 ? progress.state.total : undefined}
                  aria-label="Report progress"
                />
              </p>
            )}
            {progress.state?.finished && <p>The report is ready: your browser is saving the file.</p>}
          </div>
        </section>
      )}
      <section className="panel" aria-labelledby="verify-heading">
        <h2 id="verify-heading">Check a report</h2>
        <p className="hint" id="verify-hint">
          Checks the report&apos;s signature, the text of every page and this system&apos;s record of it. Reports are signed with the key
          whose fingerprint is{' '}
          <code className="digest" data-testid="signing-key-fingerprint">
            {signingKey.fingerprint}
          </code>
          {signingKey.development ? ' (the published development key: its signature proves nothing)' : ''}. Anyone can check a report
          without this service: <code>npm run ledger -- verify FILE.pdf --public-key KEY.pem</code>, with the key from{' '}
          <code>npm run ledger -- keys public</code>.
        </p>
        <div aria-live="polite">{verdict && <p className={verdict.ok ? 'notice' : 'error-summary'}>{verdict.message}</p>}</div>
        <Form method="post" encType="multipart/form-data" className="stack">
          <CsrfField />
          <input type="hidden" name="intent" value="verify" />
          <div>
            <label htmlFor="verify-file">PDF file</label>
            <input id="verify-file" name="file" type="file" accept="application/pdf" required aria-describedby="verify-hint" />
          </div>
          <button type="submit" className="button">
            Check
          </button>
        </Form>
      </section>
      <section className="panel" aria-labelledby="recent-heading">
        <h2 id="recent-heading">Reports produced</h2>
        {exports.length === 0 ? (
          <p>No report has been produced for your practices yet.</p>
        ) : (
          <DataTable
            scroll={false}
            caption={<>Most recent first. Files produced here are kept for {keepDays} days; the record and its digest stay.</>}
            rows={exports}
            rowKey={(r) => r.id}
            columns={[
              { header: 'Report', cell: (r) => REPORT_KIND_LABELS[r.kind] },
              { header: 'Practices', cell: (r) => r.practices.join(', ') },
              {
                header: 'Period',
                cell: (r) => (
                  <>
                    {formatDay(r.from)} to {formatDay(r.to)}
                  </>
                ),
              },
              { header: 'By', cell: (r) => r.generatedBy },
              { header: 'When', cell: (r) => formatDateTime(r.generatedAt) },
              { header: 'SHA-256', cell: (r) => <code className="digest">{r.sha256}</code> },
              {
                header: 'File',
                cell: (r) =>
                  r.file === 'kept' ? (
                    <a href={`/reports/${r.id}/pdf`} download>
                      Download<span className="visually-hidden"> report {r.id.slice(0, 8)}</span>
                    </a>
                  ) : r.file === 'not_kept' ? (
                    'Not kept'
                  ) : (
                    'Not for your role'
                  ),
              },
            ]}
          />
        )}
      </section>
    </>
  )
}

interface ProgressState {
  stage: string
  done: number
  total: number
  finished: boolean
}

/** A random v4 UUID; crypto.randomUUID only exists on https and localhost. */
function progressToken(): string {
  const b = crypto.getRandomValues(new Uint8Array(16))
  b[6] = (b[6]! & 0x0f) | 0x40
  b[8] = (b[8]! & 0x3f) | 0x80
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

/**
 * While the browser waits for the file (a plain form post whose answer is a download, so the
 * page stays), asks the server how far the report has got, every half second, until it is done.
 */
function useReportProgress() {
  const [state, setState] = useState<ProgressState | null>(null)
  const timer = useRef<number | undefined>(undefined)
  useEffect(() => () => window.clearInterval(timer.current), [])
  const start = (event: FormEvent<HTMLFormElement>) => {
    const token = progressToken()
    const field = event.currentTarget.elements.namedItem('progress')
    if (field instanceof HTMLInputElement) field.value = token // read by the browser when it builds the request, after this handler
    setState({ stage: 'Starting', done: 0, total: 0, finished: false })
    window.clearInterval(timer.current)
    timer.current = window.setInterval(async () => {
      try {
        const response = await fetch(`/reports/progress?token=${token}`, { headers: { Accept: 'application/json' } })
        if (!response.ok) return
        const next = (await response.json()) as ProgressState
        setState(next)
        if (next.finished) window.clearInterval(timer.current)
      } catch {
        // the next poll tries again
      }
    }, 500)
  }
  return { state, start }
}
