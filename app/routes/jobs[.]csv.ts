import type { LoaderFunctionArgs } from '@remix-run/node'
import { exportRuns } from '../lib/jobs.server.js'

/** /jobs.csv: the run history with the same filters as the page. */
export const loader = (args: LoaderFunctionArgs) => exportRuns(args)
