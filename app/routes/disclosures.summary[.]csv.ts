import type { LoaderFunctionArgs } from '@remix-run/node'
import { exportDisclosureSummary } from '../lib/disclosures.server.js'

/** /disclosures/summary.csv: counts by purpose, recipient, legal basis and data level, for the same filters. */
export const loader = (args: LoaderFunctionArgs) => exportDisclosureSummary(args)
