import { json, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react'
import type { SerializeFrom } from '@remix-run/node'
import { CharacterCount } from '../components/character-count.js'
import { CsrfField } from '../components/csrf-field.js'
import { ErrorSummary, FieldError, fieldProps } from '../components/form-errors.js'
import { decideFinding, getFindingPage } from '../lib/findings.server.js'
import { formatDateTime } from '../../core/format.js'
import { DataTable } from '../components/data-table.js'
import { FINDING_REASON_LIMIT } from '../lib/limits.js'
import { useKeptSearch } from '../lib/navigation.js'
import { FINDING_STATUS_LABELS } from '../../core/labels.js'

export const meta: MetaFunction = () => [{ title: 'Finding – Sharing Ledger' }]

export async function loader(args: LoaderFunctionArgs) {
  return json(await getFindingPage(args), { headers: { 'Cache-Control': 'no-store' } })
}

export async function action(args: ActionFunctionArgs) {
  const result = await decideFinding(args)
  return json(result, { status: result.ok ? 200 : 400 })
}

export default function FindingPage() {
  const { finding, rule, promises, canDecide } = useLoaderData<typeof loader>()
  const result = useActionData<typeof action>()
  const busy = useNavigation().state !== 'idle'
  const kept = useKeptSearch()
  return (
    <>
      <p>
        <Link to={`/findings${kept}`}>Back to the findings</Link>
      </p>
      <h1>
        Finding {finding.id}: {rule?.title ?? finding.ruleId}
      </h1>
      <div aria-live="polite">{result?.ok && <p className="notice">{result.message}</p>}</div>
      <section className="panel" aria-labelledby="found-heading">
        <h2 id="found-heading">What was found</h2>
        <p>{finding.summary}</p>
        {rule && <p>{rule.explanation}</p>}
        <dl className="facts">
          <dt>Rule</dt>
          <dd>{rule?.title ?? finding.ruleId}</dd>
          <dt>Severity</dt>
          <dd>{finding.severity.charAt(0).toUpperCase() + finding.severity.slice(1)}</dd>
          <dt>Practice</dt>
          <dd>{finding.practiceOds ?? 'National'}</dd>
          {promises.length > 0 && (
            <>
              <dt>Promise it checks</dt>
              <dd>
                <Link to={`/promises${finding.practiceOds ? `?practice=${finding.practiceOds}` : ''}`}>{promises.join('; ')}</Link>
              </dd>
            </>
          )}
          <dt>Status</dt>
          <dd data-testid="finding-status">{FINDING_STATUS_LABELS[finding.status]}</dd>
          <dt>Found</dt>
          <dd>{formatDateTime(finding.openedAt)}</dd>
        </dl>
      </section>
      <section className="panel" aria-labelledby="evidence-heading">
        <h2 id="evidence-heading">Evidence</h2>
        {finding.evidence.length === 0 ? (
          <p>No record is attached to this finding.</p>
        ) : (
          <ul>
            {finding.evidence.map((e) => (
              <li key={`${e.type}:${e.id}`}>
                {e.href ? <Link to={e.href}>{`${e.type.replace('_', ' ')} ${e.id}`}</Link> : `${e.type.replace('_', ' ')} ${e.id}`}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section className="panel" aria-labelledby="history-heading">
        <h2 id="history-heading">History</h2>
        <DataTable
          scroll={false}
          caption="Status changes, oldest first"
          rows={finding.events}
          rowKey={(e) => e.id}
          columns={[
            { header: 'When', cell: (e) => formatDateTime(e.at) },
            {
              header: 'Change',
              cell: (e) => (
                <>
                  {e.fromStatus ? `${FINDING_STATUS_LABELS[e.fromStatus]} → ` : ''}
                  {FINDING_STATUS_LABELS[e.toStatus]}
                </>
              ),
            },
            { header: 'By', cell: (e) => e.byUser ?? 'Sharing Ledger (automatic)' },
            { header: 'Reason', cell: (e) => e.reason },
          ]}
        />
      </section>
      {canDecide && <DecisionForm status={finding.status} decisions={finding.events.length} result={result} busy={busy} />}
    </>
  )
}

const FORM = 'decision'
const FIELD_IDS = { status: 'decision-status', reason: 'reason' }
const DECISIONS = [
  { value: 'accepted', label: 'Accept', hint: 'The finding stands and the practice accepts it (for example a lawful exception).' },
  { value: 'resolved', label: 'Resolve', hint: 'The cause has been dealt with.' },
  { value: 'open', label: 'Reopen', hint: 'The finding needs action again.' },
] as const

/** The same radios, hints, error summary and character count as the override review. */
function DecisionForm({
  status,
  decisions,
  result,
  busy,
}: {
  status: string
  decisions: number
  result: SerializeFrom<typeof action> | undefined
  busy: boolean
}) {
  const errors = result && !result.ok ? result.errors : undefined
  const values = result && !result.ok ? result.values : undefined
  return (
    <section className="panel" aria-labelledby="decide-heading">
      <h2 id="decide-heading">Decide</h2>
      <ErrorSummary form={FORM} errors={errors} fieldIds={FIELD_IDS} />
      {/* A new key once a decision is recorded empties the form: the last reason is on record above. */}
      <Form method="post" className="stack admin-form review-form" noValidate key={`${status}-${decisions}`}>
        <CsrfField />
        <fieldset id={FIELD_IDS.status} tabIndex={-1} {...fieldProps(FORM, 'status', errors)}>
          <legend>Decision</legend>
          <FieldError form={FORM} field="status" errors={errors} />
          <div className="radios">
            {DECISIONS.filter((d) => d.value !== status).map((d) => (
              <div key={d.value}>
                <input
                  type="radio"
                  id={`status-${d.value}`}
                  name="status"
                  value={d.value}
                  defaultChecked={values?.status === d.value}
                  aria-describedby={`status-${d.value}-hint`}
                />
                <label htmlFor={`status-${d.value}`}>{d.label}</label>
                <div className="hint" id={`status-${d.value}-hint`}>
                  {d.hint}
                </div>
              </div>
            ))}
          </div>
        </fieldset>
        <div>
          <label htmlFor={FIELD_IDS.reason}>Reason</label>
          <FieldError form={FORM} field="reason" errors={errors} />
          <CharacterCount
            id={FIELD_IDS.reason}
            name="reason"
            rows={5}
            required
            limit={FINDING_REASON_LIMIT}
            defaultValue={values?.reason ?? ''}
            aria-invalid={errors?.reason ? true : undefined}
            describedBy={fieldProps(FORM, 'reason', errors)['aria-describedby']}
          />
        </div>
        <button type="submit" className="button" disabled={busy}>
          Record decision
        </button>
      </Form>
    </section>
  )
}
