import type { Role } from '../../db/queries/users.js'

/** The main menu. Hiding an item is a courtesy only: every route checks access itself. */
export const NAV_ITEMS: Array<{ to: string; label: string; roles?: Role[] }> = [
  { to: '/', label: 'Overview' },
]
