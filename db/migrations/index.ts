import type { Knex } from 'knex'
import * as referenceCodes from './20261123090000_reference_codes.js'
import * as collectionSchema from './20261123090100_collection_schema.js'
import * as governanceSchema from './20261123090200_governance_schema.js'
import * as disclosureDailyRollup from './20261123090300_disclosure_daily_rollup.js'
import * as findingsWatermark from './20261123100000_findings_watermark.js'
import * as disclosureNarrowRollups from './20261123130000_disclosure_narrow_rollups.js'
import * as disclosureWeeklyRollups from './20261123150000_disclosure_weekly_rollups.js'
import * as optOutRollups from './20261205090000_opt_out_rollups.js'
import * as disclosureDailyNarrowRollups from './20261205100000_disclosure_daily_narrow_rollups.js'
import * as disclosuresPatientCountIndex from './20261205110000_disclosures_patient_count_index.js'
import * as sessionsAndAccessScope from './20261206080000_sessions_and_access_scope.js'
import * as maskCollectedIdentifiers from './20261206090000_mask_collected_identifiers.js'
import * as reportFiles from './20261206091000_report_files.js'
import * as privacyNotices from './20261206092000_privacy_notices.js'
import * as ledger from './20261207020000_ledger.js'
import * as countersignatures from './20261207021000_countersignatures.js'
import * as statementReportKind from './20261207030000_statement_report_kind.js'
import * as mailLog from './20261207040000_mail_log.js'
import * as reportSchedules from './20261207041000_report_schedules.js'
import * as annualReportKind from './20261207050000_annual_report_kind.js'
import * as scheduledClaims from './20261207051000_scheduled_claims.js'
import * as ledgerSinglePass from './20261207052000_ledger_single_pass.js'
import * as findingCases from './20261207060000_finding_cases.js'
import * as bulkExport from './20261207070000_bulk_export.js'
import * as oidcSignIn from './20261207080000_oidc_sign_in.js'
import * as smartBackendServices from './20261207090000_smart_backend_services.js'
import * as findingEventsByPeople from './20261207100000_finding_events_by_people.js'
import * as findingsOpenHighNewest from './20261207110000_findings_open_high_newest.js'
import * as disclosureDailyPurpose from './20261207120000_disclosure_daily_purpose.js'

type Migration = { up(knex: Knex): Promise<void>; down(knex: Knex): Promise<void> }

// Static imports, not a directory scan: the same list works under tsx, vitest and a bundle
// (knex's own loader cannot import .ts files inside vitest).
const MIGRATIONS: Record<string, Migration> = {
  '20261123090000_reference_codes': referenceCodes,
  '20261123090100_collection_schema': collectionSchema,
  '20261123090200_governance_schema': governanceSchema,
  '20261123090300_disclosure_daily_rollup': disclosureDailyRollup,
  '20261123100000_findings_watermark': findingsWatermark,
  '20261123130000_disclosure_narrow_rollups': disclosureNarrowRollups,
  '20261123150000_disclosure_weekly_rollups': disclosureWeeklyRollups,
  '20261205090000_opt_out_rollups': optOutRollups,
  '20261205100000_disclosure_daily_narrow_rollups': disclosureDailyNarrowRollups,
  '20261205110000_disclosures_patient_count_index': disclosuresPatientCountIndex,
  '20261206080000_sessions_and_access_scope': sessionsAndAccessScope,
  '20261206090000_mask_collected_identifiers': maskCollectedIdentifiers,
  '20261206091000_report_files': reportFiles,
  '20261206092000_privacy_notices': privacyNotices,
  '20261207020000_ledger': ledger,
  '20261207021000_countersignatures': countersignatures,
  '20261207030000_statement_report_kind': statementReportKind,
  '20261207040000_mail_log': mailLog,
  '20261207041000_report_schedules': reportSchedules,
  '20261207050000_annual_report_kind': annualReportKind,
  '20261207051000_scheduled_claims': scheduledClaims,
  '20261207052000_ledger_single_pass': ledgerSinglePass,
  '20261207060000_finding_cases': findingCases,
  '20261207070000_bulk_export': bulkExport,
  '20261207080000_oidc_sign_in': oidcSignIn,
  '20261207090000_smart_backend_services': smartBackendServices,
  '20261207100000_finding_events_by_people': findingEventsByPeople,
  '20261207110000_findings_open_high_newest': findingsOpenHighNewest,
  '20261207120000_disclosure_daily_purpose': disclosureDailyPurpose,
}

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(MIGRATIONS).sort(),
  getMigrationName: (name) => name,
  getMigration: async (name) => MIGRATIONS[name]!,
}
