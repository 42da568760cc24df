import { redirect, type ActionFunctionArgs } from '@remix-run/node'
import { runNow } from '../lib/jobs.server.js'

/** POST /jobs/sources/:id/run: "Run now" (admin and practice manager), then back to /jobs with the outcome. */
export const action = (args: ActionFunctionArgs) => runNow(args)

/** Nothing to show at this address: a GET goes back to the jobs page. */
export const loader = () => redirect('/jobs')
