import type { LoaderFunctionArgs } from '@remix-run/node'
import { exportOptOuts } from '../lib/opt-outs.server.js'

/** /opt-outs.csv: the monthly opt-out figures per practice, with the same filters as the page. */
export const loader = (args: LoaderFunctionArgs) => exportOptOuts(args)
