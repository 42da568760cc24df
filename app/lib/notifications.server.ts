import type { LoaderFunctionArgs } from '@remix-run/node'
import { countNotifications, listNotifications, type NotificationViewer } from '../../db/queries/notifications.js'
import { getRule } from '../../core/findings/index.js'
import { getViewer, requireAccess, type Viewer } from './access.server.js'
import { getDb } from './db.server.js'

const ruleTitle = (id: string) => getRule(id)?.title ?? id

function who(viewer: Viewer, practiceIds: number[]): NotificationViewer {
  return { userId: viewer.id, role: viewer.role, practiceIds }
}

/** The header's count (root loader): one bounded statement, null when nobody is signed in. */
export async function getNotificationCount({ request, context }: Pick<LoaderFunctionArgs, 'request' | 'context'>): Promise<number | null> {
  const viewer = await getViewer(request, context)
  if (!viewer) return null
  return countNotifications(
    getDb(context),
    who(
      viewer,
      viewer.practices.map((p) => p.id),
    ),
    context.config.overrideReviewDays,
  )
}

/** The /notifications page: the viewer's notifications (narrowed by ?practice=), most urgent first. */
export async function getNotificationsPage(args: LoaderFunctionArgs) {
  const access = await requireAccess(args)
  const items = await listNotifications(access.db, who(access.viewer, access.practiceIds), access.config.overrideReviewDays, ruleTitle)
  return { items: items.map((i) => ({ ...i, when: i.when.toISOString() })) }
}
