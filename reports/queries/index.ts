// Every read the report builders make, typed: their own (this folder) and those they share with
// the app's pages (db/queries/). A builder imports its reads from here, never from db/ directly,
// and takes typed rows. Each runs inside the report's one read-only snapshot (reports/index.ts).

export { listCodeLists } from '../../db/queries/codes.js'
export { listSourceCoverage, listWindowGaps, listWindowQuarantine, listWindowRuns } from '../../db/queries/collection-completeness.js'
export { sumDisclosuresByPurpose, sumDisclosuresByRecipient } from '../../db/queries/disclosures.js'
export {
  findingCasesAboutPeriod,
  findingHistoryAboutPeriodQuery,
  findingsAboutPeriodQuery,
  listFindingEvents,
  listFindingsAboutPeriod,
  type PeriodCase,
  type PeriodFinding,
} from '../../db/queries/findings.js'
export { caseWithSubject, describeCaseKeys } from '../../db/queries/finding-cases.js'
export { latestPublishedNdop, monthlyOptOuts } from '../../db/queries/opt-outs.js'
export { countDisclosures, countPatientsInSnapshot } from '../../db/queries/overview.js'
export { listPromiseEvidence } from '../../db/queries/promises.js'
export { latestReportsByKind } from '../../db/queries/dspt.js'
export { latestCheckpoint } from '../../db/ledger/checkpoint.js'
export type { Db } from '../../db/client.js'
export type { Scope } from '../../db/queries/scope.js'

export * from './audit.js'
export * from './commissioner.js'
export * from './cursor.js'
export * from './evidence.js'
export * from './incident.js'
export * from './practices.js'
export * from './statement.js'
export * from './annual.js'
export * from './balp.js'
