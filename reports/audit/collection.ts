import { RUN_STATUS_LABELS, RUN_TRIGGER_LABELS, SOURCE_KIND_LABELS } from '../../core/labels.js'
import { snapshotTime } from '../queries/index.js'
import { formatCount, formatIsoDateTime } from '../../core/format.js'
import { heading, keyValues, paragraph } from '../pdf/heading.js'
import { drawTable } from '../pdf/table/index.js'
import type { AuditPack } from './pack.js'

export async function collectionSection({
  ctx,
  section,
  overview: { coverage, runs, gaps, quarantine, uncovered, failedRuns },
}: AuditPack): Promise<void> {
  const { doc, db } = ctx
  // Collection completeness: by each source's window (issue 15), not runs started in the period
  section('9. Collection completeness')
  const asOf = await snapshotTime(db) // the report's data as of then
  paragraph(
    doc,
    'A period is usually collected after it ends. For each source, the window runs from the start of the period to its first ' +
      'successful collection that finished after the period ended (which covers the period), or to the time below if none has yet. ' +
      'Runs, gaps and records set aside are those in that window.',
    { size: 9 },
  )
  const totals = runs.reduce(
    (t, r) => ({
      read: t.read + r.read,
      inserted: t.inserted + r.inserted,
      updated: t.updated + r.updated,
      duplicates: t.duplicates + r.duplicates,
      quarantined: t.quarantined + r.quarantined,
    }),
    { read: 0, inserted: 0, updated: 0, duplicates: 0, quarantined: 0 },
  )
  keyValues(doc, [
    ['Data as of', `${formatIsoDateTime(asOf)} (${asOf.toISOString()})`],
    ['Sources', formatCount(coverage.length)],
    [
      'Sources not yet collected after the period',
      uncovered.length === 0 ? 'none' : `${formatCount(uncovered.length)}: ${uncovered.map((c) => c.name).join(', ')}`,
    ],
    ['Runs in the windows', formatCount(runs.length)],
    ['Failed runs', formatCount(failedRuns.length)],
    ['Gaps between successful runs', formatCount(gaps.length)],
    ['Records set aside (quarantine)', formatCount(quarantine.reduce((n, q) => n + q.pending + q.resolved, 0))],
  ])
  const sc = ctx.section('sources')
  coverage.forEach((c) => sc.add([String(c.id), c.name, c.kind, c.odsCode, c.lastSuccessAt, c.coveredAt, c.highWater]))
  heading(doc, 'Sources', 2)
  drawTable(
    doc,
    [
      { header: 'Source', width: 3 },
      { header: 'Practice', width: 1.3 },
      { header: 'Last successful collection', width: 2.3 },
      { header: 'Covers the period', width: 2.3, fit: 'yes, run finished 2026-10-25 01:59' },
      { header: 'High-water mark', width: 3.4 },
    ],
    coverage.map((c) => [
      `${c.name}\n${SOURCE_KIND_LABELS[c.kind] ?? c.kind}`,
      c.odsCode ?? 'national',
      c.lastSuccessAt ? formatIsoDateTime(c.lastSuccessAt) : 'never',
      c.coveredAt ? `yes, run finished ${formatIsoDateTime(c.coveredAt)}` : 'no: not collected since the period ended',
      c.highWater ?? '',
    ]),
    { emptyText: 'No source.' },
  )
  heading(doc, 'Runs', 2)
  paragraph(
    doc,
    `Read: records received. New, updated, already held (duplicates) and set aside: rows written from them (one AuditEvent can give two rows, ` +
      `a disclosure and an override). Totals: ${formatCount(totals.read)} read; ${formatCount(totals.inserted)} new, ${formatCount(totals.updated)} updated, ` +
      `${formatCount(totals.duplicates)} already held, ${formatCount(totals.quarantined)} set aside.`,
    { size: 9 },
  )
  const sj = ctx.section('job_runs')
  runs.forEach((r) =>
    sj.add([
      String(r.id),
      r.jobName,
      r.source,
      r.trigger,
      r.status,
      r.startedAt,
      r.finishedAt,
      r.read,
      r.inserted,
      r.updated,
      r.duplicates,
      r.quarantined,
      r.error,
    ]),
  )
  drawTable(
    doc,
    [
      { header: 'Run', width: 0.9, token: true },
      { header: 'Job / source', width: 2.6 },
      { header: 'Status', width: 1.4 },
      { header: 'Started', width: 2 },
      { header: 'Read / new / upd. / held / aside', width: 2.6 },
      { header: 'Error', width: 2.8 },
    ],
    runs.map((r) => [
      String(r.id),
      `${r.jobName} / ${r.source} (${RUN_TRIGGER_LABELS[r.trigger] ?? r.trigger})`,
      RUN_STATUS_LABELS[r.status] ?? r.status,
      formatIsoDateTime(r.startedAt),
      `${r.read} / ${r.inserted} / ${r.updated} / ${r.duplicates} / ${r.quarantined}`,
      r.error ?? '',
    ]),
    { emptyText: 'No collector run in the windows.' },
  )
  const sg = ctx.section('gaps')
  gaps.forEach((g) => sg.add([g.source, g.lastSuccess, g.nextSuccess]))
  if (gaps.length > 0) {
    heading(doc, 'Gaps between successful runs', 2)
    drawTable(
      doc,
      [
        { header: 'Source', width: 3 },
        { header: 'Last success', width: 2 },
        { header: 'Next success', width: 2 },
      ],
      gaps.map((g) => [g.source, formatIsoDateTime(g.lastSuccess), g.nextSuccess ? formatIsoDateTime(g.nextSuccess) : 'none yet']),
    )
  }
  heading(doc, 'Records set aside, by reason', 2)
  const sq = ctx.section('quarantine')
  quarantine.forEach((q) => sq.add([q.source, q.reason, q.pending, q.resolved]))
  drawTable(
    doc,
    [
      { header: 'Source', width: 2.4 },
      { header: 'Reason', width: 6 },
      { header: 'Waiting', width: 1.2, align: 'right' },
      { header: 'Resolved', width: 1.2, align: 'right' },
    ],
    quarantine.map((q) => [q.source, q.reason, formatCount(q.pending), formatCount(q.resolved)]),
    { emptyText: 'None.' },
  )
}
