import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Link, useActionData, useLoaderData, useNavigation, useSearchParams } from '@remix-run/react'
import { decideCase, getCasePage } from '../lib/finding-cases.server.js'
import { formatCount, formatDateTime, formatInstantDay } from '../../core/format.js'
import { DataTable } from '../components/data-table.js'
import { DecisionForm } from '../components/decision-form.js'
import { Pager } from '../components/pager.js'
import { FINDING_STATUS_LABELS } from '../../core/labels.js'

export const meta: MetaFunction = () => [{ title: 'Case – Findings – Sharing Ledger' }]

export async function loader(args: LoaderFunctionArgs) {
  return json(await getCasePage(args), { headers: { 'Cache-Control': 'no-store' } })
}

/** A decision moves the case to its new status: the page follows it there and says how many changed. */
export async function action(args: ActionFunctionArgs) {
  const result = await decideCase(args)
  if (!result.ok) return json(result, { status: 400 })
  return redirect(`${result.next}&changed=${result.changed}`)
}

export default function CasePage() {
  const { case: c, explanation, findings, page, pageSize, canDecide, isAdmin } = useLoaderData<typeof loader>()
  const result = useActionData<typeof action>()
  const busy = useNavigation().state !== 'idle'
  const [params] = useSearchParams()
  const changed = params.get('changed')
  const status = FINDING_STATUS_LABELS[c.status]
  return (
    <>
      <p>
        <Link to={`/findings?practice=${c.practiceOds}`}>Back to the findings</Link>
      </p>
      <h1>
        {c.ruleTitle}: {c.subject}
      </h1>
      <div role="status" aria-live="polite">
        {changed !== null && (
          <p className="notice" data-testid="case-notice">
            {Number(changed) === 0
              ? 'No finding of this case was left to change.'
              : `${formatCount(Number(changed))} finding${changed === '1' ? ' is' : 's are'} now ${status.toLowerCase()}.`}{' '}
            {c.status !== 'open' && 'This case is closed.'}
          </p>
        )}
      </div>
      <section className="panel" aria-labelledby="case-heading">
        <h2 id="case-heading">The case</h2>
        <dl className="facts">
          <dt>Rule</dt>
          <dd>{c.ruleTitle}</dd>
          <dt>Practice</dt>
          <dd>{c.practiceOds}</dd>
          <dt>About</dt>
          <dd>{c.subject}</dd>
          <dt>Severity</dt>
          <dd>{c.severity.charAt(0).toUpperCase() + c.severity.slice(1)}</dd>
          <dt>Status</dt>
          <dd data-testid="case-status">{status}</dd>
          <dt>Findings</dt>
          <dd data-testid="case-findings">{formatCount(c.findings)}</dd>
          <dt>From</dt>
          <dd>{formatInstantDay(c.firstAt)}</dd>
          <dt>To</dt>
          <dd>{formatInstantDay(c.lastAt)}</dd>
        </dl>
        {explanation && <p>{explanation}</p>}
      </section>
      {c.status === 'open' && (
        <section className="panel" aria-labelledby="resolve-heading">
          <h2 id="resolve-heading">To resolve it</h2>
          <p>{c.action.text}</p>
          {c.action.href && (c.action.role !== 'admin' || isAdmin) && (
            <p>
              <Link to={c.action.href} className="button">
                {c.action.linkText}
              </Link>
            </p>
          )}
          {c.action.role === 'admin' && !isAdmin && <p className="hint">An administrator registers agreements and notices.</p>}
        </section>
      )}
      {canDecide && (
        <DecisionForm
          status={c.status}
          formKey={`${c.status}-${c.findings}`}
          errors={result && !result.ok ? result.errors : undefined}
          values={result && !result.ok ? result.values : undefined}
          busy={busy}
          heading="Decide for the whole case"
          intro={
            <p>
              The decision and its reason are recorded in the history of each of the {formatCount(c.findings)} {status.toLowerCase()}{' '}
              findings of this case, at once.
            </p>
          }
          submitLabel="Record the decision for the case"
        />
      )}
      <section className="panel" aria-labelledby="case-findings-heading">
        <h2 id="case-findings-heading">Its findings</h2>
        <DataTable
          caption="The findings of this case, newest first"
          rows={findings}
          rowKey={(f) => f.id}
          columns={[
            { header: 'What was found', rowHeader: true, cell: (f) => <Link to={`/findings/${f.id}`}>{f.summary}</Link> },
            { header: 'When', cell: (f) => (f.subjectAt ? formatDateTime(f.subjectAt) : '') },
            { header: 'Found', cell: (f) => formatDateTime(f.openedAt) },
          ]}
        />
        <Pager total={c.findings} page={page} pageSize={pageSize} label="Pages of this case’s findings" />
      </section>
    </>
  )
}
