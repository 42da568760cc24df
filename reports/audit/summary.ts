import { countOverrideEvents, countPatientsInSnapshot, practiceSubtotals } from '../queries/index.js'
import { formatCount } from '../../core/format.js'
import { heading, keyValues } from '../pdf/heading.js'
import { drawTable } from '../pdf/table/index.js'
import type { AuditPack } from './pack.js'

export async function summarySection({ ctx, section, overview: { total, findingCases, findingTotals } }: AuditPack): Promise<void> {
  const { doc, db, scope } = ctx
  // Summary, with subtotals per practice
  const patients = await countPatientsInSnapshot(db, scope)
  const overrideCount = await countOverrideEvents(db, scope)
  section('1. Summary')
  keyValues(doc, [
    ['Disclosures', formatCount(total)],
    ['Patients affected', formatCount(patients)],
    ['Override events', formatCount(overrideCount)],
  ])
  ctx.section('summary').add(['disclosures', total])
  ctx.section('summary').add(['patients', patients])
  ctx.section('summary').add(['overrides', overrideCount])
  if (ctx.practices.length > 1) {
    heading(doc, 'By practice', 2)
    const byPractice = await practiceSubtotals(db, scope)
    const findingsByPractice = new Map<string, { open: number; high: number }>()
    for (const fc of findingCases) {
      const c = findingsByPractice.get(fc.odsCode) ?? { open: 0, high: 0 }
      c.open += fc.open
      if (fc.severity === 'high') c.high += fc.open
      findingsByPractice.set(fc.odsCode, c)
    }
    const sbp = ctx.section('practice_subtotals')
    const rows = ctx.practices.map((p) => {
      const d = byPractice.get(p.id) ?? { disclosures: 0, overrides: 0 }
      const f = findingsByPractice.get(p.odsCode) ?? { open: 0, high: 0 }
      sbp.add([p.odsCode, d.disclosures, d.overrides, f.open, f.high])
      return [`${p.odsCode} ${p.name}`, formatCount(d.disclosures), formatCount(d.overrides), formatCount(f.open), formatCount(f.high)]
    })
    drawTable(
      doc,
      [
        { header: 'Practice', width: 5 },
        { header: 'Disclosures', width: 1.6, align: 'right' },
        { header: 'Override events', width: 1.6, align: 'right' },
        { header: 'Open findings', width: 1.6, align: 'right' },
        { header: 'of which high', width: 1.6, align: 'right' },
      ],
      [
        ...rows,
        [
          'All practices',
          formatCount(total),
          formatCount(overrideCount),
          formatCount(findingTotals.open),
          formatCount(findingTotals.openHigh),
        ],
      ],
      { boldLast: true },
    )
  }
}
