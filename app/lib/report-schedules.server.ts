import { redirect, type AppLoadContext } from '@remix-run/node'
import { REPORT_ROLES } from '../../core/report-roles.js'
import {
  PERIOD_RULE_LABELS,
  PERIOD_RULES,
  SCHEDULED_REPORT_KINDS,
  scheduleCronProblem,
  type PeriodRule,
  type ScheduledReportKind,
} from '../../core/report-schedules.js'
import {
  addReportSchedule,
  deleteReportSchedule,
  listReportSchedules,
  listScheduleCandidates,
  type ScheduleCandidate,
} from '../../db/queries/report-schedules.js'
import type { Role } from '../../db/queries/users.js'
import { notFound, readForm, requireAccess, type Access } from './access.server.js'
import { REPORT_TITLES, USER_ROLE_LABELS as ROLE_LABELS } from '../../core/labels.js'

// /reports/schedules (decision 034): administrators and practice managers schedule a report
// (kind, practices, period rule, cron, recipients); the scheduler produces it and mails links.

type Args = { request: Request; context: AppLoadContext }

export const SCHEDULE_ROLES: readonly Role[] = ['admin', 'practice_manager']
const KIND_LABELS: Record<ScheduledReportKind, string> = REPORT_TITLES

export interface ScheduleFormValues {
  kind: string
  practice: string[]
  period: string
  cron: string
  recipient: string[]
}
export type ScheduleFormErrors = Partial<Record<keyof ScheduleFormValues, string>>

/** A recipient may be sent the schedule's report if they could download it: role and every practice. */
function canReceive(u: ScheduleCandidate, kind: ScheduledReportKind, practiceIds: number[]): boolean {
  return REPORT_ROLES[kind].includes(u.role) && practiceIds.every((id) => u.practiceIds.includes(id))
}

export async function getSchedulesPage(args: Args) {
  const access = await requireAccess(args, { roles: SCHEDULE_ROLES })
  const mine = access.viewer.practices
  const myIds = mine.map((p) => p.id)
  // Recipients offered: people who share at least one of the viewer's practices (an administrator sees everyone).
  const candidates = (await listScheduleCandidates(access.db)).filter(
    (u) => access.viewer.role === 'admin' || u.practiceIds.some((id) => myIds.includes(id)),
  )
  const byId = new Map(candidates.map((u) => [u.id, u]))
  const name = (id: number) => mine.find((p) => p.id === id)
  const schedules = (await listReportSchedules(access.db, myIds)).map((s) => ({
    id: s.id,
    kind: KIND_LABELS[s.kind],
    practices: s.practiceIds.map((id) => `${name(id)?.name} (${name(id)?.odsCode})`),
    period: PERIOD_RULE_LABELS[s.periodRule],
    cron: s.cron,
    recipients: s.recipientIds.map((id) => byId.get(id)?.email ?? `a user outside your practices`),
    lastDueAt: s.lastDueAt?.toISOString() ?? null,
  }))
  const url = new URL(args.request.url)
  return {
    schedules,
    practices: mine.map((p) => ({ odsCode: p.odsCode, name: p.name })),
    kinds: SCHEDULED_REPORT_KINDS.map((k) => ({ value: k, label: KIND_LABELS[k] })),
    periods: PERIOD_RULES.map((r) => ({ value: r, label: PERIOD_RULE_LABELS[r] })),
    recipients: candidates.map((u) => ({ id: u.id, label: `${u.displayName} (${u.email}), ${ROLE_LABELS[u.role]}` })),
    timezone: access.config.schedules.timezone,
    mailOn: access.config.mail !== null,
    added: url.searchParams.get('added') === '1',
    stopped: url.searchParams.get('stopped') === '1',
  }
}

function readValues(form: FormData): ScheduleFormValues {
  const one = (n: string) => {
    const v = form.get(n)
    return typeof v === 'string' ? v.slice(0, 100) : ''
  }
  const many = (n: string) =>
    form
      .getAll(n)
      .filter((v): v is string => typeof v === 'string' && v !== '')
      .slice(0, 200)
  return {
    kind: one('kind'),
    practice: many('practice').map((v) => v.toUpperCase()),
    period: one('period'),
    cron: one('cron').trim(),
    recipient: many('recipient'),
  }
}

async function addSchedule(access: Access, v: ScheduleFormValues) {
  const errors: ScheduleFormErrors = {}
  const kind = (SCHEDULED_REPORT_KINDS as readonly string[]).includes(v.kind) ? (v.kind as ScheduledReportKind) : undefined
  if (!kind) errors.kind = 'Choose which report to schedule.'
  else if (!REPORT_ROLES[kind].includes(access.viewer.role)) errors.kind = 'Your role cannot produce this report: choose another.'
  const practiceIds: number[] = []
  for (const ods of v.practice) {
    const p = access.viewer.practices.find((x) => x.odsCode === ods)
    if (!p) throw notFound() // the form never offers another practice
    practiceIds.push(p.id)
  }
  if (practiceIds.length === 0) errors.practice = 'Choose at least one practice.'
  else if (kind === 'annual' && practiceIds.length > 1)
    errors.practice = 'An annual Caldicott report covers one practice: schedule one for each practice board.'
  const period = (PERIOD_RULES as readonly string[]).includes(v.period) ? (v.period as PeriodRule) : undefined
  if (!period) errors.period = 'Choose the period each report covers.'
  const cronProblem = scheduleCronProblem(v.cron)
  if (cronProblem) errors.cron = cronProblem
  const recipientIds = [...new Set(v.recipient.map(Number).filter((n) => Number.isInteger(n) && n > 0))]
  if (recipientIds.length === 0) errors.recipient = 'Choose at least one person to send it to.'
  else if (kind && practiceIds.length) {
    const found = await listScheduleCandidates(access.db, recipientIds)
    const myIds = access.viewer.practices.map((p) => p.id)
    // Only people the page offered; each must be able to download this report for these practices.
    if (
      found.length !== recipientIds.length ||
      found.some((u) => access.viewer.role !== 'admin' && !u.practiceIds.some((id) => myIds.includes(id)))
    )
      throw notFound()
    const cannot = found.filter((u) => !canReceive(u, kind, practiceIds))
    if (cannot.length)
      errors.recipient = `${cannot.map((u) => u.email).join(', ')} cannot download this report for every chosen practice: choose others.`
  }
  if (Object.keys(errors).length > 0 || !kind || !period) return { ok: false as const, errors, values: v }
  const id = await addReportSchedule(access.db, {
    kind,
    practiceIds,
    periodRule: period,
    cron: v.cron,
    recipientIds,
    createdByUserId: access.viewer.id,
  })
  await access.log('report_schedule_add', {
    practiceIds,
    target: `report_schedule:${id}`,
    detail: { kind, period, cron: v.cron, recipientIds },
  })
  return redirect('/reports/schedules?added=1', 303)
}

export async function schedulesAction(args: Args) {
  const access = await requireAccess(args, { roles: SCHEDULE_ROLES })
  const form = await readForm(args.request)
  if (form.get('intent') === 'stop') {
    const id = Number(form.get('id'))
    const mine = await listReportSchedules(
      access.db,
      access.viewer.practices.map((p) => p.id),
    )
    const s = mine.find((x) => x.id === id)
    if (!s) throw notFound()
    await deleteReportSchedule(access.db, id)
    await access.log('report_schedule_stop', { practiceIds: s.practiceIds, target: `report_schedule:${id}` })
    return redirect('/reports/schedules?stopped=1', 303)
  }
  return addSchedule(access, readValues(form))
}
