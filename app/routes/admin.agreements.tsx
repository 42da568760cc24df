import { json, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction, type SerializeFrom } from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react'
import { useEffect, useState } from 'react'
import { AdminNav } from '../components/admin-nav.js'
import { DataTable } from '../components/data-table.js'
import { CsrfField } from '../components/csrf-field.js'
import { ErrorSummary, FieldError, fieldProps, groupProps, useFormResetKey } from '../components/form-errors.js'
import { agreementsAction, getAgreementsPage } from '../lib/admin/agreements.server.js'
import { CharacterCount } from '../components/character-count.js'
import { formatDay } from '../../core/format.js'
import { AGREEMENT_DESCRIPTION_LIMIT } from '../lib/limits.js'
import { EARLIEST_DAY, LATEST_RECORD_DAY } from '../../core/day-bounds.js'

export const meta: MetaFunction = () => [{ title: 'Data sharing agreements – Administration – Sharing Ledger' }]

export async function loader(args: LoaderFunctionArgs) {
  return json(await getAgreementsPage(args))
}

export const action = (args: ActionFunctionArgs) => agreementsAction(args)

type PageData = SerializeFrom<typeof loader>

const FIELD_IDS = {
  reference: 'agreement-reference',
  recipient: 'agreement-recipient',
  newRecipientName: 'agreement-new-recipient-name',
  newRecipientOds: 'agreement-new-recipient-ods',
  newRecipientType: 'agreement-new-recipient-type',
  purposes: 'agreement-purposes',
  dataLevel: 'agreement-data-level',
  validFrom: 'agreement-valid-from',
  validTo: 'agreement-valid-to',
  practices: 'agreement-practices',
  description: 'agreement-description',
}

export default function AdminAgreements() {
  const data = useLoaderData<typeof loader>()
  const failed = useActionData<typeof action>()
  const formKey = useFormResetKey()
  const errors = failed?.errors
  const values = failed?.values ?? data.prefill ?? {}
  return (
    <>
      <h1>Data sharing agreements</h1>
      <AdminNav />
      <div role="status" aria-live="polite">
        {data.notice && <p className="notice">{data.notice}</p>}
      </div>
      <section className="panel" aria-labelledby="agreements-heading">
        <h2 id="agreements-heading">Agreements</h2>
        {data.agreements.length === 0 ? (
          <p>
            No agreements recorded yet. Add the first one below: until then, every disclosure for a secondary purpose shows as having no
            agreement in force.
          </p>
        ) : (
          <>
            <p>
              <Link to="/admin/agreements.csv" reloadDocument>
                Download the agreements as CSV
              </Link>
            </p>
            <DataTable
              caption="Data sharing agreements, newest first"
              rows={data.agreements}
              rowKey={(a) => a.id}
              rowProps={(a) => ({ 'data-testid': `agreement-${a.reference}` })}
              columns={[
                {
                  header: 'Reference',
                  rowHeader: true,
                  cell: (a) => (
                    <>
                      {a.reference}
                      {a.description && <div className="hint">{a.description}</div>}
                    </>
                  ),
                },
                {
                  header: 'Recipient',
                  cell: (a) => (
                    <>
                      {a.recipientName}
                      <div className="hint">
                        {a.recipientTypeLabel}
                        {a.recipientOds && `, ${a.recipientOds}`}
                      </div>
                    </>
                  ),
                },
                { header: 'Purposes', cell: (a) => a.purposes.map((p) => p.label).join('; ') },
                { header: 'Data level', cell: (a) => data.dataLevels.find((l) => l.value === a.dataLevel)?.label ?? a.dataLevel },
                {
                  header: 'Valid',
                  cell: (a) => (
                    <>
                      {formatDay(a.validFrom)} to {a.validTo ? formatDay(a.validTo) : 'no end date'}
                      <div className={a.inForce ? 'status--completed' : 'hint'}>{a.inForce ? 'In force' : 'Not in force today'}</div>
                    </>
                  ),
                },
                { header: 'Practices', cell: (a) => a.practices.join(', ') },
              ]}
            />
          </>
        )}
      </section>
      <section className="panel" aria-labelledby="add-agreement-heading">
        <h2 id="add-agreement-heading">Add an agreement</h2>
        <ErrorSummary form="agreement" errors={errors} fieldIds={FIELD_IDS} />
        <AddAgreementForm key={formKey} data={data} errors={errors} values={values} />
      </section>
    </>
  )
}

function AddAgreementForm({
  data,
  errors,
  values,
}: {
  data: PageData
  errors: Record<string, string> | undefined
  values: Record<string, string | string[]>
}) {
  const busy = useNavigation().state === 'submitting'
  const value = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : '')
  const many = (name: string) => new Set([values[name] ?? []].flat())
  const [recipient, setRecipient] = useState(value('recipient') || (data.organisations.length === 0 ? 'new' : ''))
  const [hydrated, setHydrated] = useState(false)
  useEffect(() => setHydrated(true), [])
  const chosenPurposes = many('purposes')
  const chosenPractices = many('practices')
  return (
    <Form method="post" className="stack admin-form" noValidate>
      <CsrfField />
      <input type="hidden" name="intent" value="add" />
      <div>
        <label htmlFor={FIELD_IDS.reference}>Reference</label>
        <p className="hint" id="agreement-reference-hint">
          As written on the signed agreement, such as DSA-2026-014.
        </p>
        <FieldError form="agreement" field="reference" errors={errors} />
        <input
          id={FIELD_IDS.reference}
          name="reference"
          type="text"
          defaultValue={value('reference')}
          {...fieldProps('agreement', 'reference', errors, 'agreement-reference-hint')}
        />
      </div>
      <div>
        <label htmlFor={FIELD_IDS.recipient}>Recipient</label>
        <FieldError form="agreement" field="recipient" errors={errors} />
        <select
          id={FIELD_IDS.recipient}
          name="recipient"
          value={recipient}
          onChange={(e) => setRecipient(e.target.value)}
          {...fieldProps('agreement', 'recipient', errors)}
        >
          <option value="">Choose the organisation that receives the data</option>
          {data.organisations.map((o) => (
            <option key={o.id} value={o.id}>
              {o.name}
              {o.odsCode ? ` (${o.odsCode})` : ''} – {o.recipientTypeLabel}
            </option>
          ))}
          <option value="new">A new organisation</option>
        </select>
      </div>
      <fieldset hidden={hydrated && recipient !== 'new'}>
        <legend>New recipient organisation (only if it is not listed)</legend>
        <div>
          <label htmlFor={FIELD_IDS.newRecipientName}>Organisation name</label>
          <FieldError form="agreement" field="newRecipientName" errors={errors} />
          <input
            id={FIELD_IDS.newRecipientName}
            name="newRecipientName"
            type="text"
            defaultValue={value('newRecipientName')}
            {...fieldProps('agreement', 'newRecipientName', errors)}
          />
        </div>
        <div>
          <label htmlFor={FIELD_IDS.newRecipientOds}>ODS code (if it has one)</label>
          <FieldError form="agreement" field="newRecipientOds" errors={errors} />
          <input
            id={FIELD_IDS.newRecipientOds}
            name="newRecipientOds"
            type="text"
            className="input--short"
            defaultValue={value('newRecipientOds')}
            {...fieldProps('agreement', 'newRecipientOds', errors)}
          />
        </div>
        <div>
          <label htmlFor={FIELD_IDS.newRecipientType}>Recipient type</label>
          <FieldError form="agreement" field="newRecipientType" errors={errors} />
          <select
            id={FIELD_IDS.newRecipientType}
            name="newRecipientType"
            defaultValue={value('newRecipientType')}
            {...fieldProps('agreement', 'newRecipientType', errors)}
          >
            <option value="">Choose a type</option>
            {data.recipientTypes.map((t) => (
              <option key={t.code} value={t.code}>
                {t.label}
              </option>
            ))}
          </select>
        </div>
      </fieldset>
      <fieldset id={FIELD_IDS.purposes} tabIndex={-1} {...groupProps('agreement', 'purposes', errors, 'agreement-purposes-hint')}>
        <legend>Purposes it covers</legend>
        <p className="hint" id="agreement-purposes-hint">
          Marketing and insurance are not listed: the practice never shares for them.
        </p>
        <FieldError form="agreement" field="purposes" errors={errors} />
        <div className="checkboxes checkboxes--columns">
          {data.purposes.map((p) => (
            <div key={p.code}>
              <input
                type="checkbox"
                id={`agreement-purpose-${p.code}`}
                name="purposes"
                value={p.code}
                defaultChecked={chosenPurposes.has(p.code)}
              />
              <label htmlFor={`agreement-purpose-${p.code}`}>{p.label}</label>
            </div>
          ))}
        </div>
      </fieldset>
      <div>
        <label htmlFor={FIELD_IDS.dataLevel}>Data level allowed</label>
        <FieldError form="agreement" field="dataLevel" errors={errors} />
        <select
          id={FIELD_IDS.dataLevel}
          name="dataLevel"
          defaultValue={value('dataLevel')}
          {...fieldProps('agreement', 'dataLevel', errors)}
        >
          <option value="">Choose a level</option>
          {data.dataLevels.map((l) => (
            <option key={l.value} value={l.value}>
              {l.label}
            </option>
          ))}
        </select>
      </div>
      <div className="date-pair">
        <div>
          <label htmlFor={FIELD_IDS.validFrom}>Valid from</label>
          <FieldError form="agreement" field="validFrom" errors={errors} />
          <input
            id={FIELD_IDS.validFrom}
            name="validFrom"
            type="date"
            min={EARLIEST_DAY}
            max={LATEST_RECORD_DAY}
            defaultValue={value('validFrom')}
            {...fieldProps('agreement', 'validFrom', errors)}
          />
        </div>
        <div>
          <label htmlFor={FIELD_IDS.validTo}>Valid to (leave empty if open-ended)</label>
          <FieldError form="agreement" field="validTo" errors={errors} />
          <input
            id={FIELD_IDS.validTo}
            name="validTo"
            type="date"
            min={EARLIEST_DAY}
            max={LATEST_RECORD_DAY}
            defaultValue={value('validTo')}
            {...fieldProps('agreement', 'validTo', errors)}
          />
        </div>
      </div>
      <fieldset id={FIELD_IDS.practices} tabIndex={-1} {...groupProps('agreement', 'practices', errors)}>
        <legend>Practices party to it</legend>
        <FieldError form="agreement" field="practices" errors={errors} />
        {data.practices.length === 0 ? (
          <p>No practices yet: add a source for a practice on the Sources page first.</p>
        ) : (
          <div className="checkboxes">
            {data.practices.map((p) => (
              <div key={p.id}>
                <input
                  type="checkbox"
                  id={`agreement-practice-${p.id}`}
                  name="practices"
                  value={p.id}
                  defaultChecked={chosenPractices.has(String(p.id))}
                />
                <label htmlFor={`agreement-practice-${p.id}`}>
                  {p.name} ({p.odsCode})
                </label>
              </div>
            ))}
          </div>
        )}
      </fieldset>
      <div>
        <label htmlFor={FIELD_IDS.description}>Description (optional)</label>
        <FieldError form="agreement" field="description" errors={errors} />
        <CharacterCount
          id={FIELD_IDS.description}
          name="description"
          rows={3}
          limit={AGREEMENT_DESCRIPTION_LIMIT}
          defaultValue={value('description')}
          aria-invalid={errors?.description ? true : undefined}
          describedBy={fieldProps('agreement', 'description', errors)['aria-describedby']}
        />
      </div>
      <button type="submit" className="button" disabled={busy}>
        Add agreement
      </button>
    </Form>
  )
}
