import { CHOICE_DECISION_LABELS } from '../../core/labels.js'
import { json, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react'
import { AdminNav } from '../components/admin-nav.js'
import { DataTable } from '../components/data-table.js'
import { CsrfField } from '../components/csrf-field.js'
import { ErrorSummary, FieldError, fieldProps, useFormResetKey } from '../components/form-errors.js'
import { codesAction, getCodesPage } from '../lib/admin/codes.server.js'

export const meta: MetaFunction = () => [{ title: 'Code mappings – Administration – Sharing Ledger' }]

export async function loader(args: LoaderFunctionArgs) {
  return json(await getCodesPage(args))
}

export const action = (args: ActionFunctionArgs) => codesAction(args)

const PURPOSE_IDS = { system: 'purpose-map-system', code: 'purpose-map-code', purpose: 'purpose-map-purpose' }
const CHOICE_IDS = { system: 'choice-map-system', code: 'choice-map-code', kind: 'choice-map-kind', decision: 'choice-map-decision' }

export default function AdminCodes() {
  const data = useLoaderData<typeof loader>()
  const failed = useActionData<typeof action>()
  const busy = useNavigation().state === 'submitting'
  const formKey = useFormResetKey()
  const purposeErrors = failed?.intent === 'purpose' ? failed.errors : undefined
  const choiceErrors = failed?.intent === 'choice' ? failed.errors : undefined
  const valueOf = (intent: string) => (name: string) => {
    const v = failed?.intent === intent ? failed.values[name] : undefined
    return typeof v === 'string' ? v : ''
  }
  const purposeValue = valueOf('purpose')
  const choiceValue = valueOf('choice')
  return (
    <>
      <h1>Code mappings</h1>
      <AdminNav />
      <div role="status" aria-live="polite">
        {data.notice && <p className="notice">{data.notice}</p>}
      </div>
      <p>
        The collectors never guess what a code means: a record with a code missing from these tables goes to the{' '}
        <Link to="/jobs">quarantine</Link> with the code in its reason. Add the mapping here and the collectors use it from their next run;
        records already in quarantine load when the source sends them again or a backfill re-reads their dates (
        <code>npm run ledger -- collect --source ID --from YYYY-MM-DD --to YYYY-MM-DD</code>). Existing mappings are not changed here,
        because records already loaded were read with them.{' '}
        <Link to="/admin/codes.csv" reloadDocument>
          Download every mapping as CSV
        </Link>
      </p>
      <datalist id="known-systems">
        {data.knownSystems.map((s) => (
          <option key={s} value={s} />
        ))}
      </datalist>
      <div className="admin-columns">
        <section className="panel" aria-labelledby="add-purpose-heading">
          <h2 id="add-purpose-heading">Add a purpose code</h2>
          <ErrorSummary form="purpose-map" errors={purposeErrors} fieldIds={PURPOSE_IDS} />
          <Form method="post" className="stack admin-form" noValidate key={`purpose-${formKey}`}>
            <CsrfField />
            <input type="hidden" name="intent" value="purpose" />
            <div>
              <label htmlFor={PURPOSE_IDS.system}>Code system</label>
              <FieldError form="purpose-map" field="system" errors={purposeErrors} />
              <input
                id={PURPOSE_IDS.system}
                name="system"
                type="text"
                list="known-systems"
                defaultValue={purposeValue('system')}
                {...fieldProps('purpose-map', 'system', purposeErrors)}
              />
            </div>
            <div>
              <label htmlFor={PURPOSE_IDS.code}>Code</label>
              <FieldError form="purpose-map" field="code" errors={purposeErrors} />
              <input
                id={PURPOSE_IDS.code}
                name="code"
                type="text"
                className="input--short"
                defaultValue={purposeValue('code')}
                {...fieldProps('purpose-map', 'code', purposeErrors)}
              />
            </div>
            <div>
              <label htmlFor={PURPOSE_IDS.purpose}>Means the purpose</label>
              <FieldError form="purpose-map" field="purpose" errors={purposeErrors} />
              <select
                id={PURPOSE_IDS.purpose}
                name="purpose"
                defaultValue={purposeValue('purpose')}
                {...fieldProps('purpose-map', 'purpose', purposeErrors)}
              >
                <option value="">Choose a purpose</option>
                {data.purposes.map((p) => (
                  <option key={p.code} value={p.code}>
                    {p.label}
                    {p.prohibited ? ' (prohibited)' : ''}
                  </option>
                ))}
              </select>
            </div>
            <button type="submit" className="button" disabled={busy}>
              Add purpose mapping
            </button>
          </Form>
        </section>
        <section className="panel" aria-labelledby="add-choice-heading">
          <h2 id="add-choice-heading">Add an opt-out or choice code</h2>
          <ErrorSummary form="choice-map" errors={choiceErrors} fieldIds={CHOICE_IDS} />
          <Form method="post" className="stack admin-form" noValidate key={`choice-${formKey}`}>
            <CsrfField />
            <input type="hidden" name="intent" value="choice" />
            <div>
              <label htmlFor={CHOICE_IDS.system}>Code system</label>
              <FieldError form="choice-map" field="system" errors={choiceErrors} />
              <input
                id={CHOICE_IDS.system}
                name="system"
                type="text"
                list="known-systems"
                defaultValue={choiceValue('system')}
                {...fieldProps('choice-map', 'system', choiceErrors)}
              />
            </div>
            <div>
              <label htmlFor={CHOICE_IDS.code}>Code</label>
              <FieldError form="choice-map" field="code" errors={choiceErrors} />
              <input
                id={CHOICE_IDS.code}
                name="code"
                type="text"
                className="input--short"
                defaultValue={choiceValue('code')}
                {...fieldProps('choice-map', 'code', choiceErrors)}
              />
            </div>
            <div>
              <label htmlFor={CHOICE_IDS.kind}>Records the choice</label>
              <FieldError form="choice-map" field="kind" errors={choiceErrors} />
              <select
                id={CHOICE_IDS.kind}
                name="kind"
                defaultValue={choiceValue('kind')}
                {...fieldProps('choice-map', 'kind', choiceErrors)}
              >
                <option value="">Choose a kind</option>
                {data.choiceKinds.map((k) => (
                  <option key={k.value} value={k.value}>
                    {k.label}
                  </option>
                ))}
              </select>
            </div>
            <div>
              <label htmlFor={CHOICE_IDS.decision}>Decision</label>
              <FieldError form="choice-map" field="decision" errors={choiceErrors} />
              <select
                id={CHOICE_IDS.decision}
                name="decision"
                defaultValue={choiceValue('decision')}
                {...fieldProps('choice-map', 'decision', choiceErrors)}
              >
                <option value="">Choose a decision</option>
                <option value="deny">{CHOICE_DECISION_LABELS.deny}: the patient opted out or dissented</option>
                <option value="permit">{CHOICE_DECISION_LABELS.permit}: the patient consented or withdrew an opt-out</option>
              </select>
            </div>
            <button type="submit" className="button" disabled={busy}>
              Add choice mapping
            </button>
          </Form>
        </section>
      </div>
      <section className="panel" aria-labelledby="purpose-codes-heading">
        <h2 id="purpose-codes-heading">Purpose codes ({data.purposeCodes.length})</h2>
        <DataTable
          caption="Codes a source may send for the purpose of a disclosure, and the purpose each means"
          rows={data.purposeCodes}
          rowKey={(m) => `${m.system}|${m.code}`}
          columns={[
            { header: 'Code system', cellClassName: 'break-anywhere', cell: (m) => m.system },
            { header: 'Code', rowHeader: true, cell: (m) => m.code },
            { header: 'Purpose', cell: (m) => m.label },
          ]}
        />
      </section>
      <section className="panel" aria-labelledby="choice-codes-heading">
        <h2 id="choice-codes-heading">Opt-out and choice codes ({data.choiceCodes.length})</h2>
        <DataTable
          caption="Codes a source may send on a Consent, and the choice each records"
          rows={data.choiceCodes}
          rowKey={(m) => `${m.system}|${m.code}`}
          columns={[
            { header: 'Code system', cellClassName: 'break-anywhere', cell: (m) => m.system },
            { header: 'Code', rowHeader: true, cell: (m) => m.code },
            { header: 'Choice', cell: (m) => data.choiceKinds.find((k) => k.value === m.kind)?.label ?? m.kind },
            { header: 'Decision', cell: (m) => CHOICE_DECISION_LABELS[m.decision] ?? m.decision },
          ]}
        />
      </section>
    </>
  )
}
