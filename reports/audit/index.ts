import { DEFAULT_OVERRIDE_REVIEW_DAYS, type ReportContext } from '../context.js'
import { glossary, Labels } from '../labels.js'
import { Contents } from '../pdf/contents.js'
import { heading } from '../pdf/heading.js'
import { titlePage } from '../title-page.js'
import { agreementsSection } from './agreements.js'
import { collectionSection } from './collection.js'
import { disclosureLogSection } from './disclosure-log.js'
import { FINDINGS_APPENDIX, findingsAppendix, findingsSection } from './findings.js'
import { executiveSummary, methodAndLimitations } from './front.js'
import { ledgerSection } from './ledger.js'
import { optOutsSection } from './opt-outs.js'
import { overridesSection } from './overrides.js'
import { readOverview, type AuditPack } from './pack.js'
import { promisesSection } from './promises.js'
import { sharingSections } from './sharing.js'
import { summarySection } from './summary.js'

export { LOG_BATCH } from './disclosure-log.js'

// The audit evidence pack (auditor): everything recorded for the practices and period, with a
// manifest of row counts and digests. This folder only chooses content, one file per section;
// the reads are reports/queries/, drawing is reports/pdf/.

/** The pack's sections in order: the contents page lists them, each marks its page and bookmark. */
const SECTIONS = [
  { title: 'Method and limitations' },
  { title: 'Promises of the privacy notice' },
  { title: '1. Summary' },
  { title: '2. Sharing by purpose' },
  { title: 'By legal basis', level: 2 as const },
  { title: '3. Sharing by recipient' },
  { title: '4. Disclosure log' },
  { title: '5. Override events and their reviews' },
  { title: '6. Compliance findings' },
  { title: '7. Opt-out figures' },
  { title: '8. Data sharing agreements in force' },
  { title: '9. Collection completeness' },
  { title: '10. Ledger: chain heads and checkpoint' },
  { title: '11. Glossary of codes' },
  { title: FINDINGS_APPENDIX },
  { title: 'Manifest' },
]

export async function renderAudit(ctx: ReportContext): Promise<void> {
  const { doc, db, scope } = ctx
  const labels = await Labels.load(db)
  titlePage(ctx)
  const reviewDays = ctx.request.overrideReviewDays ?? DEFAULT_OVERRIDE_REVIEW_DAYS
  const pack: AuditPack = {
    ctx,
    labels,
    reviewDays,
    section: (title, level = 1) => {
      heading(doc, title, level)
      ctx.contents!.mark(title)
    },
    overview: await readOverview(db, scope, reviewDays),
  }

  executiveSummary(pack)

  // Contents (and the PDF's bookmarks)
  doc.addPage()
  ctx.contents = new Contents(doc)
  ctx.contents.draw(SECTIONS)

  methodAndLimitations(pack)
  promisesSection(pack)
  await summarySection(pack)
  await sharingSections(pack)
  await disclosureLogSection(pack)
  await overridesSection(pack)
  await findingsSection(pack)
  await optOutsSection(pack)
  await agreementsSection(pack)
  await collectionSection(pack)
  await ledgerSection(pack)

  // Glossary: the codes behind the labels printed above (before the manifest)
  glossary(doc, labels, '11. Glossary of codes', ctx.section('glossary'), () => ctx.contents!.mark('11. Glossary of codes'))

  // The individual findings behind section 6's cases (decision 036), after the glossary: their
  // codes are the rules, severities and statuses the cases table already printed.
  doc.addPage()
  await findingsAppendix(pack)
}
