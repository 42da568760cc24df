import { json, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, useActionData, useLoaderData, useRouteLoaderData } from '@remix-run/react'
import { CsrfField } from '../components/csrf-field.js'
import { ErrorSummary, FieldError, fieldProps, groupProps } from '../components/form-errors.js'
import { formatDateTime } from '../lib/format.js'
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

const KIND_LABELS = { audit: 'Audit evidence pack', commissioner: 'Commissioner report (aggregates, disclosure control)', incident: 'Incident review' } as const

export default function Reports() {
  const { exports, allowed, form, keepDays, signingKey } = useLoaderData<typeof loader>()
  const verdict = useActionData<typeof action>()
  const practices = useRouteLoaderData<typeof rootLoader>('root')?.viewer?.practices ?? []
  const errors = form?.errors
  const values = form?.values
  return (
    <>
      <h1>Reports</h1>
      {allowed.length > 0 && (
        <section className="panel" aria-labelledby="produce-heading">
          <h2 id="produce-heading">Produce a report</h2>
          <p className="hint">
            The PDF downloads to your computer. It is recorded with its SHA-256 digest, so it can be proved genuine later, and the download is written to the
            access log once the whole file has been sent.
          </p>
          <ErrorSummary form={FORM} errors={errors} fieldIds={FIELD_IDS} />
          {/* A plain form post (reloadDocument) to a resource route: its answer is the file. A request to correct comes back here with its values. */}
          <Form method="post" action="/reports/download" reloadDocument noValidate className="stack">
            <CsrfField />
            <div>
              <label htmlFor={FIELD_IDS.kind}>Report</label>
              <FieldError form={FORM} field="kind" errors={errors} />
              <select id={FIELD_IDS.kind} name="kind" required defaultValue={values?.kind ?? allowed[0]} {...fieldProps(FORM, 'kind', errors)}>
                {allowed.map((k) => (
                  <option key={k} value={k}>
                    {KIND_LABELS[k]}
                  </option>
                ))}
              </select>
            </div>
            <fieldset id={FIELD_IDS.practice} tabIndex={-1} {...groupProps(FORM, 'practice', errors)}>
              <legend>Practices (none ticked: all of yours)</legend>
              <FieldError form={FORM} field="practice" errors={errors} />
              {practices.map((p) => (
                <div key={p.odsCode}>
                  <input type="checkbox" id={`practice-${p.odsCode}`} name="practice" value={p.odsCode} defaultChecked={values?.practice.includes(p.odsCode)} />{' '}
                  <label htmlFor={`practice-${p.odsCode}`} style={{ display: 'inline' }}>
                    {p.name} ({p.odsCode})
                  </label>
                </div>
              ))}
            </fieldset>
            <div>
              <label htmlFor={FIELD_IDS.from}>From</label>
              <FieldError form={FORM} field="from" errors={errors} />
              <input id={FIELD_IDS.from} name="from" type="date" required defaultValue={values?.from} {...fieldProps(FORM, 'from', errors)} />
            </div>
            <div>
              <label htmlFor={FIELD_IDS.to}>To</label>
              <FieldError form={FORM} field="to" errors={errors} />
              <input id={FIELD_IDS.to} name="to" type="date" required defaultValue={values?.to} {...fieldProps(FORM, 'to', errors)} />
            </div>
            <div>
              <label htmlFor={FIELD_IDS.eventId}>Override event number (incident review only)</label>
              <FieldError form={FORM} field="eventId" errors={errors} />
              <input id={FIELD_IDS.eventId} name="eventId" inputMode="numeric" defaultValue={values?.eventId} {...fieldProps(FORM, 'eventId', errors)} />
            </div>
            <button type="submit" className="button">
              Produce and download
            </button>
          </Form>
        </section>
      )}
      <section className="panel" aria-labelledby="verify-heading">
        <h2 id="verify-heading">Check a report</h2>
        <p className="hint" id="verify-hint">
          Checks the report&apos;s signature, the text of every page and this system&apos;s record of it. Reports are signed with the key whose fingerprint is{' '}
          <code className="digest" data-testid="signing-key-fingerprint">{signingKey.fingerprint}</code>
          {signingKey.development ? ' (the published development key: its signature proves nothing)' : ''}. Anyone can check a report without this service:{' '}
          <code>npm run ledger -- verify FILE.pdf --public-key KEY.pem</code>, with the key from <code>npm run ledger -- keys public</code>.
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
          <table>
            <caption>Most recent first. Files produced here are kept for {keepDays} days; the record and its digest stay.</caption>
            <thead>
              <tr>
                <th scope="col">Report</th>
                <th scope="col">Practices</th>
                <th scope="col">Period</th>
                <th scope="col">By</th>
                <th scope="col">When</th>
                <th scope="col">SHA-256</th>
                <th scope="col">File</th>
              </tr>
            </thead>
            <tbody>
              {exports.map((r) => (
                <tr key={r.id}>
                  <td>{KIND_LABELS[r.kind]}</td>
                  <td>{r.practices.join(', ')}</td>
                  <td>
                    {r.from} to {r.to}
                  </td>
                  <td>{r.generatedBy}</td>
                  <td>{formatDateTime(r.generatedAt)}</td>
                  <td>
                    <code className="digest">{r.sha256}</code>
                  </td>
                  <td>
                    {r.file === 'kept' ? (
                      <a href={`/reports/${r.id}/pdf`} download>
                        Download<span className="visually-hidden"> report {r.id.slice(0, 8)}</span>
                      </a>
                    ) : r.file === 'not_kept' ? (
                      'Not kept'
                    ) : (
                      'Not for your role'
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  )
}
