import type { LoaderFunctionArgs } from '@remix-run/node'
import { exportCases } from '../lib/finding-cases.server.js'

export const loader = (args: LoaderFunctionArgs) => exportCases(args)
