import type { AppLoadContext } from '@remix-run/node'
import { OPT_OUT_MEASURE_LABELS, OPT_OUT_MEASURE_SHORT_LABELS, type OptOutMeasure } from '../../core/labels.js'
import { z } from 'zod'
import { latestPublishedNdop, listScopePractices, monthlyOptOuts } from '../../db/queries/opt-outs.js'
import { englandToday } from '../../core/period-presets.js'
import { csvExport } from './csv.server.js'
import { requireScope } from './scope.server.js'

type Args = { request: Request; context: AppLoadContext }

/** The months the page shows when no period is chosen: the last twelve, this one included. */
const DEFAULT_MONTHS = 12
/** A longer period is refused: 200 practices x 120 months is already a long table. */
const MAX_MONTHS = 120

const MeasureSchema = z.enum(['all', 'ndop_published', 'ndop_recorded', 'type1'], {
  message: 'Choose which opt-outs to draw from the list',
})

/** 100 * opt-outs / list size, or null when the list size is unknown or zero (no rate). */
export function rate(optOuts: number | null, listSize: number | null): number | null {
  if (optOuts === null || listSize === null || listSize <= 0) return null
  return (100 * optOuts) / listSize
}

function monthsBetween(from: string, to: string): number {
  return (Number(to.slice(0, 4)) - Number(from.slice(0, 4))) * 12 + Number(to.slice(5, 7)) - Number(from.slice(5, 7)) + 1
}

/**
 * The period the figures cover: the chosen one, or the last twelve months up to today. An open
 * end is today; an open start is twelve months before the end.
 */
function effectivePeriod(chosen: { from?: string; to?: string }): { from: string; to: string } {
  const to = chosen.to ?? englandToday()
  let from = chosen.from
  if (!from) {
    const d = new Date(`${to.slice(0, 7)}-01T00:00:00Z`)
    d.setUTCMonth(d.getUTCMonth() - (DEFAULT_MONTHS - 1))
    from = d.toISOString().slice(0, 10)
  }
  if (from > to) from = to
  if (monthsBetween(from, to) > MAX_MONTHS) {
    throw new Response(`The period covers more than ${MAX_MONTHS} months: choose a shorter one (opt-outs are shown month by month).`, {
      status: 400,
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
    })
  }
  return { from, to }
}

/** Everything the opt-outs page and its CSV show, for the viewer's practices and the period. */
async function loadOptOuts(args: Args) {
  const { access, scope } = await requireScope(args)
  const url = new URL(args.request.url)
  const parsedMeasure = MeasureSchema.safeParse(url.searchParams.get('measure') || 'all')
  if (!parsedMeasure.success) {
    throw new Response(`The filters are not valid: ${parsedMeasure.error.issues[0]!.message}.`, { status: 400 })
  }
  const period = effectivePeriod(scope)
  const [practices, monthly, published] = await Promise.all([
    listScopePractices(access.db, scope),
    monthlyOptOuts(access.db, { ...scope, ...period }),
    latestPublishedNdop(access.db, scope, period.to),
  ])
  const byPractice = new Map(practices.map((p) => [p.practiceId, p]))
  const trend = monthly.map((m) => {
    const p = byPractice.get(m.practiceId)!
    return {
      practiceId: m.practiceId,
      odsCode: p.odsCode,
      practiceName: p.name,
      month: m.month,
      asOf: m.asOf,
      listSize: p.listSize,
      ndopPublished:
        m.publishedAsOf === null
          ? null
          : {
              asOf: m.publishedAsOf,
              optOuts: m.publishedOptOuts!,
              listSize: m.publishedListSize!,
              rate: rate(m.publishedOptOuts, m.publishedListSize),
            },
      ndopRecorded: { count: m.ndop, rate: rate(m.ndop, p.listSize) },
      type1: { count: m.type1, rate: rate(m.type1, p.listSize) },
    }
  })
  // The latest figures: the practice-system counts as of the period's end (its last month).
  const lastMonth = new Map(trend.filter((t) => t.asOf === period.to).map((t) => [t.practiceId, t]))
  const latestPublished = new Map(published.map((p) => [p.practiceId, p]))
  const latest = practices.map((p) => {
    const end = lastMonth.get(p.practiceId)
    const pub = latestPublished.get(p.practiceId)
    return {
      practiceId: p.practiceId,
      odsCode: p.odsCode,
      name: p.name,
      listSize: p.listSize,
      listSizeAsOf: p.listSizeAsOf,
      ndopPublished: pub ? { asOf: pub.asOf, optOuts: pub.optOuts, listSize: pub.listSize, rate: rate(pub.optOuts, pub.listSize) } : null,
      ndopRecorded: { count: end?.ndopRecorded.count ?? 0, rate: end?.ndopRecorded.rate ?? null },
      type1: { count: end?.type1.count ?? 0, rate: end?.type1.rate ?? null },
    }
  })
  return { access, scope, url, period, measure: parsedMeasure.data, latest, trend }
}

/** At most this many lines on the chart; the table beside it always has every practice. */
const MAX_LINES = 9

export async function getOptOutsPage(args: Args) {
  const { period, measure, latest, trend } = await loadOptOuts(args)
  const measures: OptOutMeasure[] = measure === 'all' ? ['ndop_published', 'ndop_recorded', 'type1'] : [measure]
  // With many practices the chart keeps the largest (by list size); a note says so.
  const drawn = [...latest]
    .sort((a, b) => (b.listSize ?? -1) - (a.listSize ?? -1) || a.odsCode.localeCompare(b.odsCode))
    .slice(0, Math.max(1, Math.floor(MAX_LINES / measures.length)))
  const series = drawn.flatMap((p, practiceIndex) =>
    measures.map((m) => ({
      key: `${p.odsCode}_${m}`,
      name: latest.length > 1 ? `${p.odsCode} – ${OPT_OUT_MEASURE_SHORT_LABELS[m]}` : OPT_OUT_MEASURE_LABELS[m],
      colour: practiceIndex,
      dashed: m !== 'type1' ? (m === 'ndop_published' ? 'long' : 'short') : 'none',
    })),
  ) as Array<{ key: string; name: string; colour: number; dashed: 'none' | 'short' | 'long' }>
  const months = [...new Set(trend.map((t) => t.month))]
  const chart = months.map((month) => {
    const point: Record<string, number | string | null> = { month }
    for (const p of drawn) {
      const t = trend.find((x) => x.practiceId === p.practiceId && x.month === month)
      for (const m of measures) {
        const value = !t
          ? null
          : m === 'ndop_published'
            ? (t.ndopPublished?.rate ?? null)
            : m === 'ndop_recorded'
              ? t.ndopRecorded.rate
              : t.type1.rate
        point[`${p.odsCode}_${m}`] = value === null ? null : Math.round(value * 100) / 100
      }
    }
    return point
  })
  return {
    period,
    measure,
    measureOptions: Object.entries(OPT_OUT_MEASURE_LABELS).map(([value, label]) => ({ value, label })),
    latest,
    trend,
    chart: { series, points: chart, practicesDrawn: drawn.length, practicesLeftOut: latest.length - drawn.length },
  }
}

const csvRate = (r: number | null) => (r === null ? '' : r.toFixed(2))

export async function exportOptOuts(args: Args) {
  const { access, url, trend } = await loadOptOuts(args)
  return csvExport(access, {
    name: 'opt-outs',
    url,
    rows: trend,
    columns: [
      { header: 'practice', value: (r) => r.odsCode },
      { header: 'practice_name', value: (r) => r.practiceName },
      { header: 'month', value: (r) => r.month.slice(0, 7) },
      { header: 'as_of', value: (r) => r.asOf },
      { header: 'list_size', value: (r) => r.listSize },
      { header: 'ndop_published_as_of', value: (r) => r.ndopPublished?.asOf },
      { header: 'ndop_published_opt_outs', value: (r) => r.ndopPublished?.optOuts },
      { header: 'ndop_published_list_size', value: (r) => r.ndopPublished?.listSize },
      { header: 'ndop_published_rate_percent', value: (r) => csvRate(r.ndopPublished?.rate ?? null) },
      { header: 'ndop_practice_system_opt_outs', value: (r) => r.ndopRecorded.count },
      { header: 'ndop_practice_system_rate_percent', value: (r) => csvRate(r.ndopRecorded.rate) },
      { header: 'type1_opt_outs', value: (r) => r.type1.count },
      { header: 'type1_rate_percent', value: (r) => csvRate(r.type1.rate) },
    ],
  })
}
