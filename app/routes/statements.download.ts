import type { LoaderFunctionArgs } from '@remix-run/node'
import { downloadStatement } from '../lib/statements.server.js'

// A resource route: its answer is the statement PDF itself (see reports.download.ts for why).
export const loader = (args: LoaderFunctionArgs) => downloadStatement(args)
