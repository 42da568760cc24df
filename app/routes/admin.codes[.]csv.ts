import type { LoaderFunctionArgs } from '@remix-run/node'
import { exportCodes } from '../lib/admin/codes.server.js'

/** /admin/codes.csv (administrators only; the export is access-logged). */
export const loader = (args: LoaderFunctionArgs) => exportCodes(args)
