import type { Knex } from 'knex'

// The notifications' "new high findings" read each practice's newest open high findings
// (ORDER BY opened_at DESC, id DESC LIMIT 50). A full re-evaluation opens all its findings at
// one instant, and with (practice_id, opened_at) alone every finding of that instant had to be
// read and sorted to find the 50 highest ids: 1,074 a practice at 10M disclosures, 367 ms for
// 150 practices. With id in the index a backward scan reads 50. Frozen: plain SQL, no imports.

export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    `CREATE INDEX findings_open_high_newest ON findings (practice_id, opened_at, id) WHERE status = 'open' AND severity = 'high'`,
  )
  await knex.raw('DROP INDEX findings_open_high')
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`CREATE INDEX findings_open_high ON findings (practice_id, opened_at) WHERE status = 'open' AND severity = 'high'`)
  await knex.raw('DROP INDEX findings_open_high_newest')
}
