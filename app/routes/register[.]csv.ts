import type { LoaderFunctionArgs } from '@remix-run/node'
import { exportDecisionRegister } from '../lib/decision-register.server.js'

/** /register.csv: the decision register with the page's filters. */
export const loader = (args: LoaderFunctionArgs) => exportDecisionRegister(args)
