import type { LoaderFunctionArgs } from '@remix-run/node'
import { exportOverrideQueue } from '../lib/overrides.server.js'

/** /overrides.csv: the review queue with the same filters as the page, all pages. */
export const loader = (args: LoaderFunctionArgs) => exportOverrideQueue(args)
