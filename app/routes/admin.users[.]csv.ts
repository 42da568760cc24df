import type { LoaderFunctionArgs } from '@remix-run/node'
import { exportUsers } from '../lib/admin/users.server.js'

/** /admin/users.csv (administrators only; the export is access-logged). */
export const loader = (args: LoaderFunctionArgs) => exportUsers(args)
