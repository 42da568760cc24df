import { FilterBar } from './filter-bar.js'
import { FINDING_STATUS_LABELS, SEVERITY_LABELS } from '../../core/labels.js'

/** The filters of /findings (cases) and /findings/list (individual findings): status, severity and rule, with the period. */
export function FindingFilters({
  period,
  filter,
  rules,
  anyStatus,
}: {
  period: { from?: string; to?: string }
  filter: { status?: string | null; severity?: string | null; rule?: string | null }
  rules: Array<{ id: string; title: string }>
  /** The list may show every status at once; cases are always of one status. */
  anyStatus: boolean
}) {
  return (
    <FilterBar from={period.from} to={period.to}>
      <div>
        <label htmlFor="filter-status">Status</label>
        <select id="filter-status" name="status" defaultValue={filter.status ?? ''}>
          {anyStatus ? <option value="">Any</option> : null}
          <Options labels={FINDING_STATUS_LABELS} />
        </select>
      </div>
      <div>
        <label htmlFor="filter-severity">Severity</label>
        <select id="filter-severity" name="severity" defaultValue={filter.severity ?? ''}>
          <option value="">Any</option>
          <Options labels={SEVERITY_LABELS} />
        </select>
      </div>
      <div>
        <label htmlFor="filter-rule">Rule</label>
        <select id="filter-rule" name="rule" defaultValue={filter.rule ?? ''}>
          <option value="">Any</option>
          {rules.map((r) => (
            <option key={r.id} value={r.id}>
              {r.title}
            </option>
          ))}
        </select>
      </div>
    </FilterBar>
  )
}

/** One option per code, labelled as core/labels names it. */
function Options({ labels }: { labels: Record<string, string> }) {
  return Object.entries(labels).map(([value, label]) => (
    <option key={value} value={value}>
      {label}
    </option>
  ))
}
