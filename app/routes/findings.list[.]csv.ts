import type { LoaderFunctionArgs } from '@remix-run/node'
import { exportFindings } from '../lib/findings.server.js'

export const loader = (args: LoaderFunctionArgs) => exportFindings(args)
