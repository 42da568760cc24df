import { json, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react'
import { CharacterCount } from '../components/character-count.js'
import { CsrfField } from '../components/csrf-field.js'
import { decideFinding, getFindingPage } from '../lib/findings.server.js'
import { formatDateTime } from '../lib/format.js'
import { FINDING_REASON_LIMIT } from '../lib/limits.js'
import { useKeptSearch } from '../lib/navigation.js'

export const meta: MetaFunction = () => [{ title: 'Finding – Sharing Ledger' }]

export async function loader(args: LoaderFunctionArgs) {
  return json(await getFindingPage(args), { headers: { 'Cache-Control': 'no-store' } })
}

export async function action(args: ActionFunctionArgs) {
  const result = await decideFinding(args)
  return json(result, { status: result.ok ? 200 : 400 })
}

const STATUS_TEXT = { open: 'Open', accepted: 'Accepted', resolved: 'Resolved' } as const

export default function FindingPage() {
  const { finding, rule, canDecide } = useLoaderData<typeof loader>()
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
      <div aria-live="polite">{result && <p className={result.ok ? 'notice' : 'error-summary'}>{result.message}</p>}</div>
      <section className="panel" aria-labelledby="found-heading">
        <h2 id="found-heading">What was found</h2>
        <p>{finding.summary}</p>
        {rule && <p>{rule.explanation}</p>}
        <dl className="facts">
          <dt>Rule</dt>
          <dd>{finding.ruleId}</dd>
          <dt>Severity</dt>
          <dd>{finding.severity}</dd>
          <dt>Practice</dt>
          <dd>{finding.practiceOds ?? 'National'}</dd>
          <dt>Status</dt>
          <dd data-testid="finding-status">{STATUS_TEXT[finding.status]}</dd>
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
        <table>
          <caption>Status changes, oldest first</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Change</th>
              <th scope="col">By</th>
              <th scope="col">Reason</th>
            </tr>
          </thead>
          <tbody>
            {finding.events.map((e) => (
              <tr key={e.id}>
                <td>{formatDateTime(e.at)}</td>
                <td>
                  {e.fromStatus ? `${STATUS_TEXT[e.fromStatus]} → ` : ''}
                  {STATUS_TEXT[e.toStatus]}
                </td>
                <td>{e.byUser ?? 'Sharing Ledger (automatic)'}</td>
                <td>{e.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      {canDecide && (
        <section className="panel" aria-labelledby="decide-heading">
          <h2 id="decide-heading">Decide</h2>
          <Form method="post" className="stack">
            <CsrfField />
            <fieldset>
              <legend>Decision</legend>
              {(
                [
                  ['accepted', 'Accept: the finding stands, and the practice accepts it (for example a lawful exception)'],
                  ['resolved', 'Resolve: the cause has been dealt with'],
                  ['open', 'Reopen'],
                ] as const
              )
                .filter(([value]) => value !== finding.status)
                .map(([value, label]) => (
                  <div key={value}>
                    <input type="radio" id={`status-${value}`} name="status" value={value} required />{' '}
                    <label htmlFor={`status-${value}`} style={{ display: 'inline' }}>
                      {label}
                    </label>
                  </div>
                ))}
            </fieldset>
            <div>
              <label htmlFor="reason">Reason</label>
              <CharacterCount id="reason" name="reason" rows={4} required limit={FINDING_REASON_LIMIT} />
            </div>
            <button type="submit" className="button" disabled={busy}>
              Record decision
            </button>
          </Form>
        </section>
      )}
    </>
  )
}
