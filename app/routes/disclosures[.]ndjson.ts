import type { LoaderFunctionArgs } from '@remix-run/node'
import { exportDisclosuresBalp } from '../lib/disclosures.server.js'

/** /disclosures.ndjson: the same disclosures as /disclosures.csv, as IHE BALP AuditEvents (FHIR R4 NDJSON). */
export const loader = (args: LoaderFunctionArgs) => exportDisclosuresBalp(args)
