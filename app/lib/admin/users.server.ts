import { redirect } from '@remix-run/node'
import { addUser } from '../../../core/admin/index.js'
import { MIN_PASSWORD_LENGTH, ROLES } from '../../../core/inputs.js'
import { listUsers, setUserDisabled } from '../../../db/queries/admin.js'
import { listPractices } from '../../../db/queries/practices.js'
import { getUser, userPracticeIds } from '../../../db/queries/users.js'
import { readForm } from '../access.server.js'
import { USER_ROLE_LABELS as ROLE_LABELS } from '../../../core/labels.js'
import { csvExport } from '../csv.server.js'
import { formFailure, formText, formTexts } from '../request.server.js'
import {
  adminContext,
  intentOf,
  noticeOf,
  practiceOptions,
  requireAdmin,
  targetId,
  tickedPracticeCodes,
  type Args,
} from './shared.server.js'

export async function getUsersPage(args: Args) {
  const { access, scope } = await requireAdmin(args)
  const [users, practices] = await Promise.all([listUsers(access.db, scope), listPractices(access.db)])
  const n = noticeOf(new URL(args.request.url))
  const subject = n ? users.find((u) => u.id === n.id) : undefined
  const notices: Record<string, (email: string) => string> = {
    added: (email) => `Added ${email}. They can sign in now with the password you set; ask them to keep it safe.`,
    disabled: (email) => `Disabled ${email}: they are signed out and cannot sign in until enabled again.`,
    enabled: (email) => `Enabled ${email}: they can sign in again.`,
  }
  return {
    viewerId: access.viewer.id,
    users,
    practices: practiceOptions(practices),
    roles: ROLES.map((r) => ({ value: r, label: ROLE_LABELS[r] })),
    minPasswordLength: MIN_PASSWORD_LENGTH,
    notice: n && subject && notices[n.notice] ? notices[n.notice]!(subject.email) : null,
  }
}

export async function usersAction(args: Args) {
  const { access } = await requireAdmin(args)
  const form = await readForm(args.request)
  const intent = intentOf(form, ['add', 'disable', 'enable'])
  const db = access.db
  if (intent === 'add') {
    // The password is never among the values sent back with the errors.
    const values = {
      email: formText(form, 'email'),
      displayName: formText(form, 'displayName'),
      role: formText(form, 'role'),
      practices: formTexts(form, 'practices'),
    }
    const added = await addUser(adminContext(access, args), {
      ...values,
      password: formText(form, 'password'),
      practices: await tickedPracticeCodes(access, form),
    })
    if (!added.ok) return formFailure(intent, added.errors, values)
    return redirect(`/admin/users?notice=added&id=${added.value.user.id}`)
  }
  const userId = targetId(form, 'userId')
  const user = await getUser(db, userId)
  if (!user) throw new Response('There is no such user.', { status: 404 })
  if (intent === 'disable' && userId === access.viewer.id) {
    return formFailure(intent, { form: 'You cannot disable your own account: ask another administrator.' }, {})
  }
  await setUserDisabled(db, userId, intent === 'disable')
  await access.log(intent === 'disable' ? 'admin_user_disable' : 'admin_user_enable', {
    practiceIds: await userPracticeIds(db, userId),
    target: `user:${userId}`,
    detail: { email: user.email },
  })
  return redirect(`/admin/users?notice=${intent === 'disable' ? 'disabled' : 'enabled'}&id=${userId}`)
}

export async function exportUsers(args: Args) {
  const { access, scope } = await requireAdmin(args)
  const rows = await listUsers(access.db, scope)
  return csvExport(access, {
    name: 'users',
    filtered: false,
    url: new URL(args.request.url),
    rows,
    columns: [
      { header: 'id', value: (r) => r.id },
      { header: 'email', value: (r) => r.email },
      { header: 'display_name', value: (r) => r.displayName },
      { header: 'role', value: (r) => r.role },
      { header: 'practices', value: (r) => (r.role === 'admin' ? 'all' : r.practices.map((p) => p.odsCode).join(' ')) },
      { header: 'disabled_at', value: (r) => r.disabledAt },
      { header: 'created_at', value: (r) => r.createdAt },
    ],
  })
}
