import { Link, useLocation } from '@remix-run/react'
import { useMemo } from 'react'

// The disclosures pages' own filters (purpose, recipient type, recipient, legal basis, data
// level), shown inside the shared FilterBar form, and the links that add or drop one of them.

export interface DisclosureVocabulary {
  purposes: Array<{ code: string; label: string }>
  recipientTypes: Array<{ code: string; label: string }>
  recipients: Array<{ id: number; label: string }>
  legalBases: Array<{ code: string; label: string }>
  dataLevels: Array<{ code: string; label: string }>
}

/** Everything that narrows what the disclosures pages show; paging and sorting are not filters. */
export const DISCLOSURE_FILTER_PARAMS = [
  'practice',
  'from',
  'to',
  'purpose',
  'recipientType',
  'recipient',
  'legalBasis',
  'dataLevel',
] as const

/**
 * `pathname?query` with the current filters kept, `changes` applied (null drops a parameter) and
 * the page number dropped, since a new filter starts at page 1. Sorting is kept only on the list.
 */
export function disclosuresHref(
  pathname: string,
  search: string,
  changes: Record<string, string | number | null> = {},
  keep: readonly string[] = DISCLOSURE_FILTER_PARAMS,
): string {
  return disclosuresHrefBuilder(pathname, search, keep)(changes)
}

/**
 * disclosuresHref for many links from one address: the address is read once, not once per link
 * (the summary page links every row and cell of its tables).
 */
export function disclosuresHrefBuilder(
  pathname: string,
  search: string,
  keep: readonly string[] = DISCLOSURE_FILTER_PARAMS,
): (changes?: Record<string, string | number | null>) => string {
  const current = new URLSearchParams(search)
  const kept: Array<[string, string]> = []
  for (const name of keep) for (const v of current.getAll(name)) if (v) kept.push([name, v])
  return (changes = {}) => {
    const next = new URLSearchParams(kept)
    for (const [name, value] of Object.entries(changes)) {
      next.delete(name)
      if (value !== null && value !== '') next.set(name, String(value))
    }
    const s = next.toString()
    return s ? `${pathname}?${s}` : pathname
  }
}

/** The list of individual disclosures, narrowed further by `changes`. */
export function useListHref(): (changes: Record<string, string | number | null>) => string {
  const { search } = useLocation()
  return useMemo(() => disclosuresHrefBuilder('/disclosures/list', search), [search])
}

function Select({
  id,
  name,
  label,
  value,
  options,
}: {
  id: string
  name: string
  label: string
  value?: string
  options: Array<{ value: string; label: string }>
}) {
  return (
    <div>
      <label htmlFor={id}>{label}</label>
      <select id={id} name={name} defaultValue={value ?? ''}>
        <option value="">Any</option>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  )
}

/** The selects, as children of <FilterBar>. `form` holds the values in the address. */
export function DisclosureFilterFields({ vocabulary, form }: { vocabulary: DisclosureVocabulary; form: Record<string, string> }) {
  const recipients = vocabulary.recipients.map((r) => ({ value: String(r.id), label: r.label }))
  // A recipient chosen by a link but with nothing in this period still shows as chosen.
  if (form.recipient && !recipients.some((r) => r.value === form.recipient))
    recipients.push({ value: form.recipient, label: `Recipient no. ${form.recipient}` })
  return (
    <>
      <Select
        id="filter-purpose"
        name="purpose"
        label="Purpose"
        value={form.purpose}
        options={vocabulary.purposes.map((p) => ({ value: p.code, label: p.label }))}
      />
      <Select
        id="filter-recipient-type"
        name="recipientType"
        label="Recipient type"
        value={form.recipientType}
        options={vocabulary.recipientTypes.map((t) => ({ value: t.code, label: t.label }))}
      />
      <Select id="filter-recipient" name="recipient" label="Recipient" value={form.recipient} options={recipients} />
      <Select
        id="filter-legal-basis"
        name="legalBasis"
        label="Legal basis"
        value={form.legalBasis}
        options={vocabulary.legalBases.map((b) => ({ value: b.code, label: b.label }))}
      />
      <Select
        id="filter-data-level"
        name="dataLevel"
        label="Data level"
        value={form.dataLevel}
        options={vocabulary.dataLevels.map((d) => ({ value: d.code, label: d.label }))}
      />
    </>
  )
}

/** "Showing only: Purpose: Research (remove)": what narrows the page, each removable on its own. */
export function ActiveDisclosureFilters({
  active,
  keep,
}: {
  active: Array<{ param: string; name: string; label: string }>
  keep?: readonly string[]
}) {
  const { pathname, search } = useLocation()
  if (active.length === 0) return null
  return (
    <div className="disclosures-active" role="group" aria-label="Filters in use">
      <span>Showing only:</span>
      <ul>
        {active.map((f) => (
          <li key={f.param}>
            {f.name}: <strong>{f.label}</strong>{' '}
            <Link
              to={disclosuresHref(pathname, search, { [f.param]: null }, keep)}
              aria-label={`Remove the ${f.name.toLowerCase()} filter (${f.label})`}
            >
              remove
            </Link>
          </li>
        ))}
      </ul>
    </div>
  )
}
