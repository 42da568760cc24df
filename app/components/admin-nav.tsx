import { NavLink } from '@remix-run/react'

const PAGES = [
  { to: '/admin', label: 'Administration', end: true },
  { to: '/admin/users', label: 'Users' },
  { to: '/admin/sources', label: 'Sources' },
  { to: '/admin/agreements', label: 'Agreements' },
  { to: '/admin/codes', label: 'Code mappings' },
  { to: '/admin/notices', label: 'Privacy notices' },
]

/** The administration pages' own menu, under the main one. */
export function AdminNav() {
  return (
    <nav aria-label="Administration" className="admin-nav">
      <ul>
        {PAGES.map((p) => (
          <li key={p.to}>
            <NavLink to={p.to} end={p.end}>
              {p.label}
            </NavLink>
          </li>
        ))}
      </ul>
    </nav>
  )
}
