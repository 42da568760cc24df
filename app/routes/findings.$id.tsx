import { json, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react'
import { DecisionForm } from '../components/decision-form.js'
import { decideFinding, getFindingPage } from '../lib/findings.server.js'
import { formatDateTime } from '../../core/format.js'
import { DataTable } from '../components/data-table.js'
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
        {finding.caseHref && (
          <>
            {' · '}
            <Link to={finding.caseHref}>Its case</Link>
          </>
        )}
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
      {canDecide && (
        <DecisionForm
          status={finding.status}
          formKey={`${finding.status}-${finding.events.length}`}
          errors={result && !result.ok ? result.errors : undefined}
          values={result && !result.ok ? result.values : undefined}
          busy={busy}
        />
      )}
    </>
  )
}
