import type { LoaderFunctionArgs } from '@remix-run/node'
import { exportDisclosureList } from '../lib/disclosures.server.js'

/** /disclosures.csv: every disclosure the list shows for the same filters and order (at most 100,000). */
export const loader = (args: LoaderFunctionArgs) => exportDisclosureList(args)
