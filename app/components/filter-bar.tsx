import { Form, Link, useLocation, useRouteLoaderData } from '@remix-run/react'
import { useEffect, useRef, type ReactNode } from 'react'
import { EARLIEST_DAY, latestPeriodDay } from '../../core/day-bounds.js'
import type { loader as rootLoader } from '../root.js'

/**
 * Practice and period pickers. A GET form, so the filters live in the address: pages keep them
 * (navigation carries them along), links can be shared, and the back button works.
 * `children` adds page-specific filters to the same form.
 */
export function FilterBar({ from, to, children }: { from?: string; to?: string; children?: ReactNode }) {
  const root = useRouteLoaderData<typeof rootLoader>('root')
  const practices = root?.viewer?.practices ?? []
  const periodError = root?.periodError ?? null
  const presets = root?.periodPresets ?? []
  const { pathname, search } = useLocation()
  const params = new URLSearchParams(search)
  const chosen = params.getAll('practice')
  // A refused period keeps what was typed (the page's own period fell back to none).
  if (periodError) {
    from = params.get('from') ?? undefined
    to = params.get('to') ?? undefined
  }
  const errorField = useRef<HTMLInputElement>(null)
  useEffect(() => {
    if (periodError) errorField.current?.focus()
  }, [periodError, search])
  const dateProps = (field: 'from' | 'to') =>
    periodError?.field === field ? { ref: errorField, 'aria-invalid': true, 'aria-describedby': 'filter-period-error' } : {}
  return (
    <Form method="get" className="panel filter-bar" aria-label="Filters">
      {practices.length > 1 && (
        <div>
          <label htmlFor="filter-practice">Practice</label>
          {/* key: a new address (Clear filters, back button) must reset the field, not keep what was typed */}
          <select id="filter-practice" name="practice" key={chosen[0] ?? ''} defaultValue={chosen[0] ?? ''}>
            <option value="">All my practices ({practices.length})</option>
            {practices.map((p) => (
              <option key={p.odsCode} value={p.odsCode}>
                {p.name} ({p.odsCode})
              </option>
            ))}
          </select>
        </div>
      )}
      <div className={`filter-bar__period${periodError ? ' filter-bar__period--error' : ''}`}>
        {periodError && (
          <p className="field-error filter-bar__error" id="filter-period-error">
            <span className="visually-hidden">Error: </span>
            {periodError.message} Until it is corrected, this page shows every date.
          </p>
        )}
        <div className="filter-bar__dates">
          <div>
            <label htmlFor="filter-from">From</label>
            <input
              id="filter-from"
              name="from"
              type="date"
              min={EARLIEST_DAY}
              max={latestPeriodDay()}
              key={from ?? ''}
              defaultValue={from ?? ''}
              {...dateProps('from')}
            />
          </div>
          <div>
            <label htmlFor="filter-to">To</label>
            <input
              id="filter-to"
              name="to"
              type="date"
              min={EARLIEST_DAY}
              max={latestPeriodDay()}
              key={to ?? ''}
              defaultValue={to ?? ''}
              {...dateProps('to')}
            />
          </div>
        </div>
      </div>
      {children}
      <button type="submit" className="button">
        Apply filters
      </button>
      {search && <Link to={pathname}>Clear filters</Link>}
      {presets.length > 0 && (
        <nav className="filter-bar__presets" aria-label="Quick periods">
          <span className="filter-bar__presets-label" aria-hidden="true">
            Quick periods:
          </span>
          <ul>
            {presets.map((p) => {
              const current = !periodError && from === p.from && to === p.to
              return (
                <li key={p.id}>
                  <Link to={presetHref(search, p)} aria-current={current ? 'true' : undefined} data-preset={p.id}>
                    {p.label}
                  </Link>
                </li>
              )
            })}
          </ul>
        </nav>
      )}
    </Form>
  )
}

/** The address with a preset's period, the page's other filters kept, back to the first page. */
function presetHref(search: string, preset: { from: string; to: string }): string {
  const params = new URLSearchParams(search)
  for (const key of [...params.keys()]) if (/page$/.test(key)) params.delete(key)
  params.set('from', preset.from)
  params.set('to', preset.to)
  return `?${params.toString()}`
}
