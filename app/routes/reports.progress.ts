import { json, type LoaderFunctionArgs } from '@remix-run/node'
import { reportProgress } from '../lib/reports.server.js'

// A resource route the /reports page polls while a report is produced: stage, rows drawn of how many, finished.
export async function loader(args: LoaderFunctionArgs) {
  const { status, body } = await reportProgress(args)
  return json(body, { status, headers: { 'Cache-Control': 'no-store' } })
}
