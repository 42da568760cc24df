import { redirect, type ActionFunctionArgs } from '@remix-run/node'
import { downloadReport } from '../lib/reports.server.js'

// A resource route: its answer is the PDF itself (an attachment), which a page's action cannot
// deliver (Remix serialises a page action's Response into the page). The form on /reports posts here.
export const action = (args: ActionFunctionArgs) => downloadReport(args)

export const loader = () => redirect('/reports')
