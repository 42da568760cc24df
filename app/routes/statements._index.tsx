import { json, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, useActionData, useLoaderData } from '@remix-run/react'
import { CsrfField } from '../components/csrf-field.js'
import { ErrorSummary, FieldError, fieldProps } from '../components/form-errors.js'
import { getStatementPage, requestStatement } from '../lib/statements.server.js'

export const meta: MetaFunction = () => [{ title: 'Disclosure statements – Sharing Ledger' }]

export async function loader(args: LoaderFunctionArgs) {
  return json(await getStatementPage(args), { headers: { 'Cache-Control': 'no-store' } })
}

/** Checks the NHS number and period; answers with a one-use download ticket, or the errors with what was typed. */
export async function action(args: ActionFunctionArgs) {
  const result = await requestStatement(args)
  return json(result, { status: result.ok ? 200 : 400, headers: { 'Cache-Control': 'no-store' } })
}

const FORM = 'statement'
const FIELD_IDS = { practice: 'statement-practice', nhsNumber: 'statement-nhs-number', from: 'statement-from', to: 'statement-to' }

export default function Statements() {
  const { practices, defaults } = useLoaderData<typeof loader>()
  const result = useActionData<typeof action>()
  const errors = result && !result.ok ? result.errors : undefined
  const values = result && !result.ok ? result.values : undefined
  return (
    <>
      <h1>Disclosure statements</h1>
      <section className="panel" aria-labelledby="statement-heading">
        <h2 id="statement-heading">A statement for a patient</h2>
        <p className="hint">
          When a patient asks which organisations received their information, why and on what basis (their right of access, UK GDPR Article
          15), enter their NHS number. It is checked, turned into the patient&apos;s pseudonym and then forgotten: it is not stored, logged
          or printed. The statement lists every disclosure of that patient at the practice over the period, in plain words, with their
          rights and how to complain.
        </p>
        <ErrorSummary form={FORM} errors={errors} fieldIds={FIELD_IDS} />
        {/* data-no-draft: an NHS number is never kept, not even in this tab's storage */}
        <Form method="post" noValidate className="stack" autoComplete="off" data-no-draft>
          <CsrfField />
          <div>
            <label htmlFor={FIELD_IDS.practice}>Practice</label>
            <FieldError form={FORM} field="practice" errors={errors} />
            <select
              id={FIELD_IDS.practice}
              name="practice"
              defaultValue={values?.practice ?? practices[0]?.odsCode}
              {...fieldProps(FORM, 'practice', errors)}
            >
              {practices.map((p) => (
                <option key={p.odsCode} value={p.odsCode}>
                  {p.name} ({p.odsCode})
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor={FIELD_IDS.nhsNumber}>NHS number</label>
            <p className="hint" id="statement-nhs-number-hint">
              10 digits, often written in groups of 3, 3 and 4 (spaces are fine).
            </p>
            <FieldError form={FORM} field="nhsNumber" errors={errors} />
            <input
              id={FIELD_IDS.nhsNumber}
              name="nhsNumber"
              inputMode="numeric"
              autoComplete="off"
              spellCheck={false}
              className="input-width-10"
              defaultValue={values?.nhsNumber}
              {...fieldProps(FORM, 'nhsNumber', errors, 'statement-nhs-number-hint')}
            />
          </div>
          <div>
            <label htmlFor={FIELD_IDS.from}>From</label>
            <FieldError form={FORM} field="from" errors={errors} />
            <input
              id={FIELD_IDS.from}
              name="from"
              type="date"
              defaultValue={values?.from ?? defaults.from}
              {...fieldProps(FORM, 'from', errors)}
            />
          </div>
          <div>
            <label htmlFor={FIELD_IDS.to}>To</label>
            <FieldError form={FORM} field="to" errors={errors} />
            <input id={FIELD_IDS.to} name="to" type="date" defaultValue={values?.to ?? defaults.to} {...fieldProps(FORM, 'to', errors)} />
          </div>
          <button type="submit" className="button">
            Prepare the statement
          </button>
        </Form>
        {result?.ok && (
          <div className="notice" role="status">
            <p>The statement is ready. The link works once, for five minutes.</p>
            <p>
              <a className="button" href={`/statements/download?ticket=${result.ticket}`} download>
                Download the statement (PDF)
              </a>
            </p>
          </div>
        )}
      </section>
    </>
  )
}
