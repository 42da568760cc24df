import { useLocation } from '@remix-run/react'
import type { Role } from '../../db/queries/users.js'

/** The main menu. Hiding an item is a courtesy only: every route checks access itself. */
export const NAV_ITEMS: Array<{ to: string; label: string; roles?: Role[] }> = [
  { to: '/', label: 'Overview' },
  { to: '/disclosures', label: 'Disclosures' },
  { to: '/opt-outs', label: 'Opt-outs' },
  { to: '/overrides', label: 'Overrides' },
  { to: '/findings', label: 'Findings' },
  { to: '/promises', label: 'Promises' },
  { to: '/jobs', label: 'Jobs' },
  { to: '/reports', label: 'Reports' },
  { to: '/statements', label: 'Statements', roles: ['caldicott_guardian', 'practice_manager'] },
  { to: '/register', label: 'Decisions', roles: ['caldicott_guardian', 'auditor', 'practice_manager'] },
  { to: '/audit-log', label: 'Access log', roles: ['auditor', 'caldicott_guardian', 'admin'] },
  { to: '/dspt', label: 'DSPT' },
  { to: '/admin', label: 'Admin', roles: ['admin'] },
]

/** The filters every page keeps when you move between pages: practice and period. */
export const KEPT_PARAMS = ['practice', 'from', 'to'] as const

export function keptSearch(search: string): string {
  const current = new URLSearchParams(search)
  const kept = new URLSearchParams()
  for (const name of KEPT_PARAMS) for (const v of current.getAll(name)) if (v) kept.append(name, v)
  const s = kept.toString()
  return s ? `?${s}` : ''
}

export function useKeptSearch(): string {
  return keptSearch(useLocation().search)
}
