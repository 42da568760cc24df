import { json, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { readForm } from '../lib/access.server.js'
import { Form, useActionData, useLoaderData, useRouteLoaderData } from '@remix-run/react'
import { CsrfField } from '../components/csrf-field.js'
import { formatDateTime } from '../lib/format.js'
import { generateReportDownload, getReportsPage, verifyUpload } from '../lib/reports.server.js'
import type { loader as rootLoader } from '../root.js'

export const meta: MetaFunction = () => [{ title: 'Reports – Sharing Ledger' }]

export async function loader(args: LoaderFunctionArgs) {
  return json(await getReportsPage(args))
}

/** intent=generate answers with the PDF itself (a download); intent=verify with the verdict. */
export async function action(args: ActionFunctionArgs) {
  const intent = (await readForm(args.request)).get('intent')
  if (intent === 'generate') return generateReportDownload(args)
  const result = await verifyUpload(args)
  return json(result, { status: result.ok ? 200 : 400 })
}

const KIND_LABELS = { audit: 'Audit evidence pack', commissioner: 'Commissioner report (aggregates, disclosure control)', incident: 'Incident review' } as const

export default function Reports() {
  const { exports, allowed } = useLoaderData<typeof loader>()
  const verdict = useActionData<typeof action>()
  const practices = useRouteLoaderData<typeof rootLoader>('root')?.viewer?.practices ?? []
  return (
    <>
      <h1>Reports</h1>
      {allowed.length > 0 && (
        <section className="panel" aria-labelledby="produce-heading">
          <h2 id="produce-heading">Produce a report</h2>
          <p className="hint">Each report is recorded with its digest, so it can be proved genuine later. Producing one is written to the access log.</p>
          {/* reloadDocument: the answer is a PDF download, not a page */}
          <Form method="post" reloadDocument className="stack">
            <CsrfField />
            <input type="hidden" name="intent" value="generate" />
            <div>
              <label htmlFor="report-kind">Report</label>
              <select id="report-kind" name="kind" required>
                {allowed.map((k) => (
                  <option key={k} value={k}>
                    {KIND_LABELS[k]}
                  </option>
                ))}
              </select>
            </div>
            <fieldset>
              <legend>Practices (none ticked: all of yours)</legend>
              {practices.map((p) => (
                <div key={p.odsCode}>
                  <input type="checkbox" id={`practice-${p.odsCode}`} name="practice" value={p.odsCode} />{' '}
                  <label htmlFor={`practice-${p.odsCode}`} style={{ display: 'inline' }}>
                    {p.name} ({p.odsCode})
                  </label>
                </div>
              ))}
            </fieldset>
            <div>
              <label htmlFor="report-from">From</label>
              <input id="report-from" name="from" type="date" required />
            </div>
            <div>
              <label htmlFor="report-to">To</label>
              <input id="report-to" name="to" type="date" required />
            </div>
            <div>
              <label htmlFor="report-event">Override event number (incident review only)</label>
              <input id="report-event" name="eventId" inputMode="numeric" />
            </div>
            <button type="submit" className="button">
              Produce and download
            </button>
          </Form>
        </section>
      )}
      <section className="panel" aria-labelledby="verify-heading">
        <h2 id="verify-heading">Check a report</h2>
        <div aria-live="polite">{verdict && <p className={verdict.ok ? 'notice' : 'error-summary'}>{verdict.message}</p>}</div>
        <Form method="post" encType="multipart/form-data" className="stack">
          <CsrfField />
          <input type="hidden" name="intent" value="verify" />
          <div>
            <label htmlFor="verify-file">PDF file</label>
            <input id="verify-file" name="file" type="file" accept="application/pdf" required />
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
            <caption>Most recent first</caption>
            <thead>
              <tr>
                <th scope="col">Report</th>
                <th scope="col">Practices</th>
                <th scope="col">Period</th>
                <th scope="col">By</th>
                <th scope="col">When</th>
                <th scope="col">Id</th>
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
                    <code>{r.id.slice(0, 8)}</code>
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
