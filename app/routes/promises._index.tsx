import { json, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Link, useLoaderData } from '@remix-run/react'
import { FilterBar } from '../components/filter-bar.js'
import { formatCount, formatDay } from '../../core/format.js'
import { DataTable } from '../components/data-table.js'
import { PROMISE_APPLIES_TO_LABELS } from '../../core/labels.js'
import { getPromisesPage } from '../lib/promises.server.js'

export const meta: MetaFunction = () => [{ title: 'Promises – Sharing Ledger' }]

export async function loader(args: LoaderFunctionArgs) {
  return json(await getPromisesPage(args))
}

export default function Promises() {
  const { period, practices } = useLoaderData<typeof loader>()
  return (
    <>
      <h1>Promises of the privacy notice</h1>
      <p>
        Each promise of the practice’s own privacy notice, in its own words, with what checks it, how many records of the period it applied
        to, and its findings. Open findings break a promise; accepted or resolved ones are exceptions a person has reviewed.
      </p>
      <FilterBar from={period.from} to={period.to} />
      {practices.map((p) => (
        <section key={p.practiceId} className="panel" aria-labelledby={`practice-${p.practiceId}`} data-testid={`promises-${p.odsCode}`}>
          <h2 id={`practice-${p.practiceId}`}>
            {p.name} ({p.odsCode})
          </h2>
          {p.notice === null ? (
            <p data-testid="no-notice">
              No privacy notice is recorded for this practice for the period, so its own promises cannot be checked. An administrator
              records one with <code>npm run ledger -- notice import FILE --practice {p.odsCode}</code>.
            </p>
          ) : (
            <>
              <p>
                Privacy notice version {p.notice.version}, “{p.notice.title}”, in force from {formatDay(p.notice.inForceFrom)}
                {p.earlierVersions.length > 0 &&
                  `; earlier in the period: ${p.earlierVersions.map((v) => `version ${v.version} (from ${formatDay(v.inForceFrom)})`).join(', ')}`}
                .
              </p>
              <DataTable
                caption={<>Promises of {p.name}’s notice and their verdicts</>}
                rows={p.promises}
                rowKey={(pr) => pr.code}
                rowProps={(pr) => ({ 'data-testid': `promise-${p.odsCode}-${pr.code}` })}
                columns={[
                  {
                    header: 'Promise, in the notice’s words',
                    cell: (pr) => (
                      <>
                        <strong>{pr.title}</strong>
                        <blockquote className="promise-words">“{pr.words}”</blockquote>
                      </>
                    ),
                  },
                  {
                    header: 'Checked by',
                    cell: (pr) => (
                      <>
                        {pr.checkedBy.length > 0 ? pr.checkedBy.map((r) => <code key={r}>{r} </code>) : 'by construction'}
                        <div className="hint">{pr.how}</div>
                      </>
                    ),
                  },
                  {
                    header: 'Applied to',
                    cell: (pr) => (
                      <>
                        {formatCount(pr.applied)} {PROMISE_APPLIES_TO_LABELS[pr.appliesTo]}
                      </>
                    ),
                  },
                  {
                    header: 'Findings',
                    cell: (pr) => (
                      <>
                        {pr.open + pr.reviewed === 0
                          ? 'none'
                          : pr.checkedBy.map((rule) => (
                              <div key={rule}>
                                <Link to={`/findings/list?practice=${p.odsCode}&rule=${rule}`}>{rule}</Link>
                              </div>
                            ))}
                        {pr.open + pr.reviewed > 0 && (
                          <div className="hint">
                            {pr.open} open, {pr.reviewed} reviewed
                          </div>
                        )}
                      </>
                    ),
                  },
                  {
                    header: 'Verdict',
                    cellProps: (pr) => ({
                      'data-testid': 'verdict',
                      className: pr.verdict.kind === 'broken' ? 'status--failed' : undefined,
                    }),
                    cell: (pr) => pr.verdict.text,
                  },
                ]}
              />
            </>
          )}
        </section>
      ))}
    </>
  )
}
