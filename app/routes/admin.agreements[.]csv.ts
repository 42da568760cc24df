import type { LoaderFunctionArgs } from '@remix-run/node'
import { exportAgreements } from '../lib/admin/agreements.server.js'

/** /admin/agreements.csv (administrators only; the export is access-logged). */
export const loader = (args: LoaderFunctionArgs) => exportAgreements(args)
