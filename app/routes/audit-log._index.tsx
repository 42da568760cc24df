import { json, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Link, useLoaderData, useLocation } from '@remix-run/react'
import { FilterBar } from '../components/filter-bar.js'
import { LedgerStatus } from '../components/ledger-status.js'
import { Pager } from '../components/pager.js'
import { getAuditLogPage } from '../lib/audit-log.server.js'
import { formatCount, formatDateTime } from '../../core/format.js'
import { DataTable } from '../components/data-table.js'
import { ACCESS_OUTCOME_LABELS } from '../../core/labels.js'

export const meta: MetaFunction = () => [{ title: 'Access log – Sharing Ledger' }]

export async function loader(args: LoaderFunctionArgs) {
  return json(await getAuditLogPage(args), { headers: { 'Cache-Control': 'no-store' } })
}

export default function AuditLog() {
  const { period, filter, actions, entries, ledger } = useLoaderData<typeof loader>()
  const { search } = useLocation()
  const csvSearch = new URLSearchParams(search)
  csvSearch.delete('page')
  const csv = csvSearch.toString()
  return (
    <>
      <h1>Access log</h1>
      <p>
        Every sign-in, review, export, download and administrative change, with who did it and when. The log is append-only: the database
        refuses any change, and each entry is chained by hash, so a change made behind the database's back (by a superuser, or an edited
        backup restored) is detected by the integrity check below.
      </p>
      <LedgerStatus status={ledger} />
      <FilterBar from={period.from} to={period.to}>
        <div>
          <label htmlFor="filter-action">Action</label>
          <select id="filter-action" key={String(filter.action ?? '')} name="action" defaultValue={filter.action ?? ''}>
            <option value="">Any action</option>
            {actions.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="filter-actor">User</label>
          <input
            id="filter-actor"
            key={String(filter.actor ?? '')}
            name="actor"
            type="search"
            defaultValue={filter.actor ?? ''}
            aria-describedby="filter-actor-hint"
          />
          <div id="filter-actor-hint" className="hint filter-hint">
            Part of an e-mail address
          </div>
        </div>
        <div>
          <label htmlFor="filter-patient">Patient</label>
          <input
            id="filter-patient"
            key={String(filter.patient ?? '')}
            name="patient"
            type="search"
            defaultValue={filter.patient ?? ''}
            aria-describedby="filter-patient-hint"
            spellCheck={false}
          />
          <div id="filter-patient-hint" className="hint filter-hint">
            A pseudonym: who looked at this patient&apos;s records
          </div>
        </div>
        <div>
          <label htmlFor="filter-outcome">Outcome</label>
          <select id="filter-outcome" key={String(filter.outcome ?? '')} name="outcome" defaultValue={filter.outcome ?? ''}>
            <option value="">Any outcome</option>
            {Object.entries(ACCESS_OUTCOME_LABELS).map(([value, text]) => (
              <option key={value} value={value}>
                {text}
              </option>
            ))}
          </select>
        </div>
      </FilterBar>
      <section className="panel" aria-labelledby="log-heading">
        <h2 id="log-heading">
          {formatCount(entries.total)} {entries.total === 1 ? 'entry' : 'entries'}
        </h2>
        {entries.total === 0 ? (
          <p>No entries match these filters. Widen the dates or clear the filters to see the whole log.</p>
        ) : (
          <>
            <p>
              <Link to={`/audit-log.csv${csv ? `?${csv}` : ''}`} reloadDocument>
                Download {entries.total === 1 ? 'this entry' : `these ${formatCount(entries.total)} entries`} as CSV
              </Link>{' '}
              <span className="hint">(the download is recorded in this log too)</span>
            </p>
            <DataTable
              className="audit-table"
              caption="Access log, newest first"
              rows={entries.rows}
              rowKey={(e) => e.id}
              rowProps={(e) => ({ 'data-testid': `log-${e.id}` })}
              columns={[
                { header: 'When', cell: (e) => formatDateTime(e.at) },
                { header: 'Who', rowHeader: true, cell: (e) => e.actor },
                { header: 'Action', cell: (e) => e.action },
                {
                  header: 'Outcome',
                  cellProps: (e) => ({ className: e.outcome === 'ok' ? undefined : 'status--failed' }),
                  cell: (e) => ACCESS_OUTCOME_LABELS[e.outcome] ?? e.outcome,
                },
                { header: 'Practice', cell: (e) => e.practiceOds ?? '–' },
                { header: 'Target', cellClassName: 'break-anywhere', cell: (e) => e.target ?? '–' },
                { header: 'IP address', cell: (e) => e.ip ?? '–' },
                { header: 'Detail', cellClassName: 'break-anywhere', cell: (e) => (e.detail ? <code>{e.detail}</code> : '–') },
              ]}
            />
            <Pager total={entries.total} page={entries.page} pageSize={entries.pageSize} label="Access log pages" />
          </>
        )}
      </section>
    </>
  )
}
