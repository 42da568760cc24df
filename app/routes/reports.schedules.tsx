import { json, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react'
import { CsrfField } from '../components/csrf-field.js'
import { ErrorSummary, FieldError, fieldProps, groupProps, useFormResetKey } from '../components/form-errors.js'
import { formatDateTime } from '../../core/format.js'
import { getSchedulesPage, schedulesAction } from '../lib/report-schedules.server.js'

export const meta: MetaFunction = () => [{ title: 'Scheduled reports – Sharing Ledger' }]

export async function loader(args: LoaderFunctionArgs) {
  return json(await getSchedulesPage(args))
}

export async function action(args: ActionFunctionArgs) {
  const result = await schedulesAction(args)
  return result instanceof Response ? result : json(result, { status: 400 })
}

const FORM = 'schedule'
const FIELD_IDS = {
  kind: 'schedule-kind',
  practice: 'schedule-practices',
  period: 'schedule-period',
  cron: 'schedule-cron',
  recipient: 'schedule-recipients',
}

/** Reports produced on a schedule and sent as a link to sign in and download (decision 034). */
export default function ReportSchedules() {
  const data = useLoaderData<typeof loader>()
  const failed = useActionData<typeof action>()
  const errors = failed && 'errors' in failed ? failed.errors : undefined
  const values = failed && 'values' in failed ? failed.values : undefined
  const formKey = useFormResetKey()
  const chosen = (list: string[] | undefined, v: string) => list?.includes(v) ?? false
  return (
    <>
      <h1>Scheduled reports</h1>
      <p>
        A scheduled report is produced on its schedule like one from <Link to="/reports">Reports</Link>, recorded and signed, and each
        recipient is mailed a link to sign in and download it (never the file). Each production shows on <Link to="/jobs">Jobs</Link>.
      </p>
      <div role="status" aria-live="polite">
        {data.added && <p className="notice">The schedule is recorded.</p>}
        {data.stopped && <p className="notice">The schedule is stopped.</p>}
      </div>
      {!data.mailOn && (
        <p className="notice" data-testid="mail-off">
          Mail is off on this server (SMTP_URL is not set): schedules are kept but nothing is produced until it is on.
        </p>
      )}
      <section className="panel" aria-labelledby="schedules-heading">
        <h2 id="schedules-heading">Schedules</h2>
        {data.schedules.length === 0 ? (
          <p>No report is scheduled for your practices.</p>
        ) : (
          <div className="table-scroll">
            <table data-testid="schedules">
              <caption>Reports scheduled for your practices</caption>
              <thead>
                <tr>
                  <th scope="col">Report</th>
                  <th scope="col">Practices</th>
                  <th scope="col">Period</th>
                  <th scope="col">When (cron, {data.timezone})</th>
                  <th scope="col">Sent to</th>
                  <th scope="col">Last produced</th>
                  <th scope="col">
                    <span className="visually-hidden">Stop</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.schedules.map((s) => (
                  <tr key={s.id}>
                    <td>{s.kind}</td>
                    <td>{s.practices.join(', ')}</td>
                    <td>{s.period}</td>
                    <td>
                      <code>{s.cron}</code>
                    </td>
                    <td>{s.recipients.join(', ')}</td>
                    <td>{s.lastDueAt ? formatDateTime(s.lastDueAt) : 'not yet'}</td>
                    <td>
                      <Form method="post">
                        <CsrfField />
                        <input type="hidden" name="intent" value="stop" />
                        <input type="hidden" name="id" value={s.id} />
                        <button type="submit" className="button button--secondary">
                          Stop<span className="visually-hidden"> schedule {s.id}</span>
                        </button>
                      </Form>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section className="panel" aria-labelledby="add-heading">
        <h2 id="add-heading">Schedule a report</h2>
        <ErrorSummary form={FORM} errors={errors} fieldIds={FIELD_IDS} />
        <Form method="post" noValidate className="stack" key={formKey}>
          <CsrfField />
          <input type="hidden" name="intent" value="add" />
          <div>
            <label htmlFor={FIELD_IDS.kind}>Report</label>
            <FieldError form={FORM} field="kind" errors={errors} />
            <select id={FIELD_IDS.kind} name="kind" defaultValue={values?.kind ?? ''} {...fieldProps(FORM, 'kind', errors)}>
              <option value="">Choose a report</option>
              {data.kinds.map((k) => (
                <option key={k.value} value={k.value}>
                  {k.label}
                </option>
              ))}
            </select>
          </div>
          <fieldset id={FIELD_IDS.practice} tabIndex={-1} {...groupProps(FORM, 'practice', errors)}>
            <legend>Practices</legend>
            <FieldError form={FORM} field="practice" errors={errors} />
            <div className="checkboxes">
              {data.practices.map((p) => (
                <div key={p.odsCode}>
                  <input
                    type="checkbox"
                    id={`schedule-practice-${p.odsCode}`}
                    name="practice"
                    value={p.odsCode}
                    defaultChecked={chosen(values?.practice, p.odsCode)}
                  />
                  <label htmlFor={`schedule-practice-${p.odsCode}`}>
                    {p.name} ({p.odsCode})
                  </label>
                </div>
              ))}
            </div>
          </fieldset>
          <div>
            <label htmlFor={FIELD_IDS.period}>Period each report covers</label>
            <FieldError form={FORM} field="period" errors={errors} />
            <select id={FIELD_IDS.period} name="period" defaultValue={values?.period ?? ''} {...fieldProps(FORM, 'period', errors)}>
              <option value="">Choose a period</option>
              {data.periods.map((p) => (
                <option key={p.value} value={p.value}>
                  {p.label}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor={FIELD_IDS.cron}>When (a cron expression)</label>
            <p className="hint" id="schedule-cron-hint">
              Minute, hour, day of month, month, day of week, in {data.timezone}: <code>0 7 1 * *</code> is 07:00 on the 1st of each month,{' '}
              <code>0 7 1 1,4,7,10 *</code> the first day of each quarter.
            </p>
            <FieldError form={FORM} field="cron" errors={errors} />
            <input
              id={FIELD_IDS.cron}
              name="cron"
              type="text"
              spellCheck={false}
              autoComplete="off"
              defaultValue={values?.cron ?? ''}
              {...fieldProps(FORM, 'cron', errors, 'schedule-cron-hint')}
            />
          </div>
          <fieldset id={FIELD_IDS.recipient} tabIndex={-1} {...groupProps(FORM, 'recipient', errors, 'schedule-recipients-hint')}>
            <legend>Send a link to</legend>
            <p className="hint" id="schedule-recipients-hint">
              Each must be able to download the report for every chosen practice.
            </p>
            <FieldError form={FORM} field="recipient" errors={errors} />
            <div className="checkboxes">
              {data.recipients.map((u) => (
                <div key={u.id}>
                  <input
                    type="checkbox"
                    id={`schedule-recipient-${u.id}`}
                    name="recipient"
                    value={u.id}
                    defaultChecked={chosen(values?.recipient, String(u.id))}
                  />
                  <label htmlFor={`schedule-recipient-${u.id}`}>{u.label}</label>
                </div>
              ))}
            </div>
          </fieldset>
          <div>
            <button type="submit" className="button">
              Schedule the report
            </button>
          </div>
        </Form>
      </section>
    </>
  )
}
