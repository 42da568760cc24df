import type { Knex } from 'knex'

// Every overview and disclosures page names the recipients of prohibited purposes (marketing,
// insurance). No narrow roll-up holds purpose and recipient together, so that total reads the
// daily cube, whose key leads with the day: over all time at 10M disclosures that was every cube
// row of the practice (about 62,000) to find about 100, 23 ms of each page. With the purpose
// second the rows of a rare purpose are read alone. Frozen: plain SQL, no imports.

export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE INDEX disclosure_daily_purpose ON disclosure_daily (practice_id, purpose, day)')
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX disclosure_daily_purpose')
}
