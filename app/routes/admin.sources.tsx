import { json, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react'
import { useEffect, useState } from 'react'
import { AdminNav } from '../components/admin-nav.js'
import { DataTable } from '../components/data-table.js'
import { SOURCE_KIND_LABELS } from '../../core/labels.js'
import { CsrfField } from '../components/csrf-field.js'
import { ErrorSummary, FieldError, fieldProps, useFormResetKey } from '../components/form-errors.js'
import { getSourcesPage, sourcesAction } from '../lib/admin/sources.server.js'

export const meta: MetaFunction = () => [{ title: 'Sources – Administration – Sharing Ledger' }]

export async function loader(args: LoaderFunctionArgs) {
  return json(await getSourcesPage(args))
}

export const action = (args: ActionFunctionArgs) => sourcesAction(args)

const FIELD_IDS = {
  practice: 'source-practice',
  newPracticeOds: 'source-new-practice-ods',
  newPracticeName: 'source-new-practice-name',
  name: 'source-name',
  baseUrl: 'source-url',
  token: 'source-token',
  expectedInterval: 'source-interval',
}

export default function AdminSources() {
  const { sources, practices, notice } = useLoaderData<typeof loader>()
  const failed = useActionData<typeof action>()
  const busy = useNavigation().state === 'submitting'
  const formKey = useFormResetKey()
  const errors = failed?.intent === 'add' ? failed.errors : undefined
  const values = failed?.intent === 'add' ? failed.values : {}
  const value = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : '')
  return (
    <>
      <h1>Sources</h1>
      <AdminNav />
      <div role="status" aria-live="polite">
        {notice && <p className="notice">{notice}</p>}
      </div>
      <section className="panel" aria-labelledby="sources-heading">
        <h2 id="sources-heading">Sources the collectors read</h2>
        {sources.length === 0 ? (
          <p>No sources yet. Add a practice system below; NDOP and disclosure register sources appear when their first file is imported.</p>
        ) : (
          <>
            <p>
              Health, run history and Run now are on the <Link to="/jobs">Jobs</Link> page.{' '}
              <Link to="/admin/sources.csv" reloadDocument>
                Download the source list as CSV
              </Link>
            </p>
            <DataTable
              caption="Sources"
              rows={sources}
              rowKey={(s) => s.id}
              rowProps={(s) => ({ 'data-testid': `source-${s.id}` })}
              columns={[
                {
                  header: 'Source',
                  rowHeader: true,
                  cell: (s) => (
                    <>
                      {s.name}
                      <div className="hint">{SOURCE_KIND_LABELS[s.kind] ?? s.kind}</div>
                    </>
                  ),
                },
                { header: 'Practice', cell: (s) => (s.practiceOds ? `${s.practiceName} (${s.practiceOds})` : 'National') },
                { header: 'Address', cellClassName: 'break-anywhere', cell: (s) => s.baseUrl ?? '–' },
                { header: 'Token', cell: (s) => (s.kind === 'fhir' ? (s.tokenSet ? 'Set' : 'Not set') : '–') },
                { header: 'Expected every (minutes)', numeric: true, cell: (s) => s.expectedIntervalMinutes },
                { header: 'Status', cell: (s) => (s.enabled ? 'Enabled' : <span className="status--failed">Disabled</span>) },
                {
                  header: 'Backfill',
                  cell: (s) =>
                    s.kind !== 'fhir' ? (
                      '–'
                    ) : (
                      <Form method="post">
                        <CsrfField />
                        {s.bulkExport ? 'Bulk $export' : 'Page by page'}
                        <input type="hidden" name="intent" value={s.bulkExport ? 'bulk_off' : 'bulk_on'} />
                        <input type="hidden" name="sourceId" value={s.id} />{' '}
                        <button type="submit" className="button button--small button--secondary">
                          {s.bulkExport ? 'Use paging' : 'Use $export'}
                          <span className="visually-hidden"> for {s.name}</span>
                        </button>
                      </Form>
                    ),
                },
                {
                  header: 'Change',
                  cell: (s) => (
                    <Form method="post">
                      <CsrfField />
                      <input type="hidden" name="intent" value={s.enabled ? 'disable' : 'enable'} />
                      <input type="hidden" name="sourceId" value={s.id} />
                      <button type="submit" className={s.enabled ? 'button button--small button--warning' : 'button button--small'}>
                        {s.enabled ? 'Disable' : 'Enable'}
                        <span className="visually-hidden"> {s.name}</span>
                      </button>
                    </Form>
                  ),
                },
              ]}
            />
          </>
        )}
      </section>
      <section className="panel" aria-labelledby="add-source-heading">
        <h2 id="add-source-heading">Add a practice system (FHIR R4)</h2>
        <ErrorSummary form="source" errors={errors} fieldIds={FIELD_IDS} />
        <AddSourceForm key={formKey} practices={practices} errors={errors} value={value} busy={busy} />
      </section>
    </>
  )
}

function AddSourceForm({
  practices,
  errors,
  value,
  busy,
}: {
  practices: Array<{ id: number; odsCode: string; name: string }>
  errors: Record<string, string> | undefined
  value: (name: string) => string
  busy: boolean
}) {
  const [practice, setPractice] = useState(value('practice') || (practices.length === 0 ? 'new' : ''))
  const [hydrated, setHydrated] = useState(false)
  useEffect(() => setHydrated(true), [])
  return (
    <Form method="post" className="stack admin-form" noValidate>
      <CsrfField />
      <input type="hidden" name="intent" value="add" />
      <div>
        <label htmlFor={FIELD_IDS.practice}>Practice</label>
        <FieldError form="source" field="practice" errors={errors} />
        <select
          id={FIELD_IDS.practice}
          name="practice"
          value={practice}
          onChange={(e) => setPractice(e.target.value)}
          {...fieldProps('source', 'practice', errors)}
        >
          <option value="">Choose a practice</option>
          {practices.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name} ({p.odsCode})
            </option>
          ))}
          <option value="new">A practice not listed yet</option>
        </select>
      </div>
      {/* Without JavaScript the new-practice fields are always shown; they are used only when "not listed" is chosen. */}
      <fieldset hidden={hydrated && practice !== 'new'}>
        <legend>New practice (only if it is not listed)</legend>
        <div>
          <label htmlFor={FIELD_IDS.newPracticeOds}>Practice ODS code</label>
          <FieldError form="source" field="newPracticeOds" errors={errors} />
          <input
            id={FIELD_IDS.newPracticeOds}
            name="newPracticeOds"
            type="text"
            className="input--short"
            defaultValue={value('newPracticeOds')}
            {...fieldProps('source', 'newPracticeOds', errors)}
          />
        </div>
        <div>
          <label htmlFor={FIELD_IDS.newPracticeName}>Practice name</label>
          <FieldError form="source" field="newPracticeName" errors={errors} />
          <input
            id={FIELD_IDS.newPracticeName}
            name="newPracticeName"
            type="text"
            defaultValue={value('newPracticeName')}
            {...fieldProps('source', 'newPracticeName', errors)}
          />
        </div>
      </fieldset>
      <div>
        <label htmlFor={FIELD_IDS.name}>Name</label>
        <p className="hint" id="source-name-hint">
          What people will call it, such as &ldquo;Riverside EMIS Web&rdquo;.
        </p>
        <FieldError form="source" field="name" errors={errors} />
        <input
          id={FIELD_IDS.name}
          name="name"
          type="text"
          defaultValue={value('name')}
          {...fieldProps('source', 'name', errors, 'source-name-hint')}
        />
      </div>
      <div>
        <label htmlFor={FIELD_IDS.baseUrl}>FHIR base URL</label>
        <p className="hint" id="source-url-hint">
          Starts with https:// (or http:// inside the practice network), such as https://practice.example/fhir.
        </p>
        <FieldError form="source" field="baseUrl" errors={errors} />
        <input
          id={FIELD_IDS.baseUrl}
          name="baseUrl"
          type="url"
          defaultValue={value('baseUrl')}
          {...fieldProps('source', 'baseUrl', errors, 'source-url-hint')}
        />
      </div>
      <div>
        <label htmlFor={FIELD_IDS.token}>Bearer token (optional)</label>
        <p className="hint" id="source-token-hint">
          Stored for the collector and never shown again: the list only says whether a token is set.
        </p>
        <FieldError form="source" field="token" errors={errors} />
        <input
          id={FIELD_IDS.token}
          name="token"
          type="password"
          autoComplete="off"
          {...fieldProps('source', 'token', errors, 'source-token-hint')}
        />
      </div>
      <div>
        <label htmlFor={FIELD_IDS.expectedInterval}>Expected to deliver at least every (minutes)</label>
        <p className="hint" id="source-interval-hint">
          Longer than this without a successful collection and the source shows as silent. 1440 is a day.
        </p>
        <FieldError form="source" field="expectedInterval" errors={errors} />
        <input
          id={FIELD_IDS.expectedInterval}
          name="expectedInterval"
          type="number"
          inputMode="numeric"
          min={5}
          className="input--short"
          defaultValue={value('expectedInterval') || '1440'}
          {...fieldProps('source', 'expectedInterval', errors, 'source-interval-hint')}
        />
      </div>
      <div className="checkboxes">
        <div>
          <input
            type="checkbox"
            id="source-bulk-export"
            name="bulkExport"
            defaultChecked={value('bulkExport') === 'on'}
            aria-describedby="source-bulk-hint"
          />
          <label htmlFor="source-bulk-export">The server offers FHIR Bulk Data $export</label>
        </div>
        <p className="hint" id="source-bulk-hint">
          A backfill (a date range collected again) then asks for one export of AuditEvent and Consent and reads its NDJSON files, instead
          of paging through searches.
        </p>
      </div>
      <button type="submit" className="button" disabled={busy}>
        Add source
      </button>
    </Form>
  )
}
