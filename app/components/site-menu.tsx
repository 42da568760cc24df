import { NavLink, useLocation } from '@remix-run/react'
import { useEffect, useState } from 'react'
import type { Role } from '../../core/inputs.js'
import { NAV_ITEMS, useKeptSearch } from '../lib/navigation.js'

/**
 * The main menu. At narrow widths it folds behind a "Menu" button once the page is hydrated;
 * before that (or without JavaScript) the button is absent and the menu simply wraps, so it is
 * never out of reach. Choosing a page folds it again.
 */
export function SiteMenu({ role }: { role: Role }) {
  const keptSearch = useKeptSearch()
  const { pathname } = useLocation()
  const [hydrated, setHydrated] = useState(false)
  const [open, setOpen] = useState(false)
  useEffect(() => setHydrated(true), [])
  useEffect(() => setOpen(false), [pathname])
  return (
    <nav aria-label="Main" className={`site-menu${hydrated ? ' site-menu--foldable' : ''}${open ? ' site-menu--open' : ''}`}>
      {hydrated && (
        <button
          type="button"
          className="site-menu__toggle"
          aria-expanded={open}
          aria-controls="site-nav"
          onClick={() => setOpen((o) => !o)}
        >
          Menu
        </button>
      )}
      <ul className="site-nav" id="site-nav">
        {NAV_ITEMS.filter((item) => !item.roles || item.roles.includes(role)).map((item) => (
          <li key={item.to}>
            <NavLink to={{ pathname: item.to, search: keptSearch }} end={item.to === '/'}>
              {item.label}
            </NavLink>
          </li>
        ))}
      </ul>
    </nav>
  )
}
