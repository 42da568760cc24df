import type { LoaderFunctionArgs } from '@remix-run/node'
import { downloadReportAgain } from '../lib/reports.server.js'

// The stored file of a report listed under "Reports produced", byte for byte as first sent.
export const loader = (args: LoaderFunctionArgs) => downloadReportAgain(args)
