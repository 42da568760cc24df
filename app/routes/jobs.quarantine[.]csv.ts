import type { LoaderFunctionArgs } from '@remix-run/node'
import { exportQuarantine } from '../lib/jobs.server.js'

/** /jobs/quarantine.csv: the pending quarantine, reasons and record keys only (never payloads). */
export const loader = (args: LoaderFunctionArgs) => exportQuarantine(args)
