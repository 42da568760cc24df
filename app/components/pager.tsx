import { Link, useLocation } from '@remix-run/react'

/**
 * "Previous / Page 2 of 7 / Next" links for a paged list. The page number lives in the address
 * under `param` (so two lists on one page can page separately), and every other filter is kept.
 */
export function Pager({
  total,
  page,
  pageSize,
  param = 'page',
  label,
}: {
  total: number
  page: number
  pageSize: number
  param?: string
  label: string
}) {
  const { search } = useLocation()
  const pages = Math.max(1, Math.ceil(total / pageSize))
  if (pages <= 1 && page <= 1) return null
  const href = (n: number) => {
    const next = new URLSearchParams(search)
    if (n <= 1) next.delete(param)
    else next.set(param, String(n))
    const s = next.toString()
    return s ? `?${s}` : '?'
  }
  const first = total === 0 ? 0 : (page - 1) * pageSize + 1
  const last = Math.min(total, page * pageSize)
  return (
    <nav className="pager" aria-label={label}>
      {page > 1 ? (
        <Link to={href(page - 1)} rel="prev">
          Previous page
        </Link>
      ) : (
        <span aria-hidden="true" />
      )}
      <span>
        Page {page} of {pages} ({first === 0 ? 'none' : `${first}–${last}`} of {total})
      </span>
      {page < pages ? (
        <Link to={href(page + 1)} rel="next">
          Next page
        </Link>
      ) : (
        <span aria-hidden="true" />
      )}
    </nav>
  )
}
