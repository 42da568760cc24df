import type { LoaderFunctionArgs } from '@remix-run/node'
import { exportSources } from '../lib/admin/sources.server.js'

/** /admin/sources.csv (administrators only; the export is access-logged). */
export const loader = (args: LoaderFunctionArgs) => exportSources(args)
