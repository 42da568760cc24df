import type { Knex } from 'knex'

// Issue 17: the annual Caldicott report for the practice board is recorded like any report, and
// may be scheduled for the last financial year. Frozen: plain SQL, no imports.

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE report_exports DROP CONSTRAINT report_exports_kind_check;
    ALTER TABLE report_exports ADD CONSTRAINT report_exports_kind_check
      CHECK (kind IN ('audit', 'commissioner', 'incident', 'statement', 'annual'));
    ALTER TABLE report_schedules DROP CONSTRAINT report_schedules_kind_check;
    ALTER TABLE report_schedules ADD CONSTRAINT report_schedules_kind_check CHECK (kind IN ('audit', 'commissioner', 'annual'));
    ALTER TABLE report_schedules DROP CONSTRAINT report_schedules_period_rule_check;
    ALTER TABLE report_schedules ADD CONSTRAINT report_schedules_period_rule_check
      CHECK (period_rule IN ('last-month', 'last-quarter', 'last-12-months', 'last-financial-year'));`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE report_schedules DROP CONSTRAINT report_schedules_period_rule_check;
    ALTER TABLE report_schedules ADD CONSTRAINT report_schedules_period_rule_check
      CHECK (period_rule IN ('last-month', 'last-quarter', 'last-12-months'));
    ALTER TABLE report_schedules DROP CONSTRAINT report_schedules_kind_check;
    ALTER TABLE report_schedules ADD CONSTRAINT report_schedules_kind_check CHECK (kind IN ('audit', 'commissioner'));
    ALTER TABLE report_exports DROP CONSTRAINT report_exports_kind_check;
    ALTER TABLE report_exports ADD CONSTRAINT report_exports_kind_check CHECK (kind IN ('audit', 'commissioner', 'incident', 'statement'));`)
}
