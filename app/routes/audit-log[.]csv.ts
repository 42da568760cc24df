import type { LoaderFunctionArgs } from '@remix-run/node'
import { exportAuditLog } from '../lib/audit-log.server.js'

/** /audit-log.csv: the access log with the page's filters (auditors and administrators). */
export const loader = (args: LoaderFunctionArgs) => exportAuditLog(args)
