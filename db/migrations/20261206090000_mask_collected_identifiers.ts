import crypto from 'node:crypto'
import type { Knex } from 'knex'

// Decision 016: what collectors stored before the identifier rule holds NHS numbers in free text,
// ids and quarantine reasons. This applies the rule to those rows, once: text masked, ids and
// quarantine keys replaced by the same keyed digest the collector now gives them (so a re-read
// stays a duplicate). Rows are found by a loose SQL pattern and decided by the one detector.

// Frozen (docs/decisions/033-frozen-migrations.md): the detector, mask and id digest below are
// copies of core/identifiers.ts and the development key of config/env.ts as they were when this
// shipped, so a later change to either cannot change what this migration does.

const DEVELOPMENT_PSEUDONYM_KEY = 'sharing-ledger-DEVELOPMENT-ONLY-pseudonym-key-do-not-use-with-real-data'
const NHS_NUMBER_LIKE = /(?<!\d)\d(?:[ \t\u00a0.\-_/]{0,3}\d){9}(?!\d|:\d\d)/g
const NHS_NUMBER_MASK = '[NHS number removed]'
const MAX_ID_LENGTH = 200

function hasNhsNumber(text: string | null | undefined): boolean {
  return !!text && /\d/.test(text) && [...text.matchAll(NHS_NUMBER_LIKE)].length > 0
}

function maskNhsNumbers(text: string): string {
  return /\d/.test(text) ? text.replace(NHS_NUMBER_LIKE, NHS_NUMBER_MASK) : text
}

function quoteSafely(value: string, max: number): string {
  const masked = maskNhsNumbers(value)
  return masked.length > max ? `${masked.slice(0, max)}…` : masked
}

function storableId(id: string | null, key: string, sourceId: number): string | null {
  if (id === null || (id.length <= MAX_ID_LENGTH && !hasNhsNumber(id))) return id
  return `id:${crypto.createHmac('sha256', key).update(`${sourceId}:${id}`).digest('hex').slice(0, 32)}`
}

/** Ten digits with anything short between them: a superset of what the detector finds. */
const LOOSE = '[0-9](\\D{0,3}[0-9]){9}'

/** The pseudonym key, as config/env.ts would choose it: only needed when an id must change. */
function pseudonymKey(): string {
  const key = process.env.PSEUDONYM_KEY || (process.env.DATABASE_URL ? undefined : DEVELOPMENT_PSEUDONYM_KEY)
  if (!key) throw new Error('Migration 20261206090000 needs PSEUDONYM_KEY to replace record ids that hold an NHS number.')
  return key
}

async function maskRows(knex: Knex, table: string, text: string[], ids: string[]): Promise<void> {
  const columns = [...text, ...ids]
  const rows: Array<Record<string, string | number | null>> = await knex(table)
    .where((w) => {
      for (const c of columns) w.orWhereRaw('?? ~ ?', [c, LOOSE])
    })
    .select(['id', 'source_id', ...columns])
  for (const row of rows) {
    const change: Record<string, string | null> = {}
    for (const c of text) {
      const v = row[c] as string | null
      if (v !== null && hasNhsNumber(v)) change[c] = maskNhsNumbers(v)
    }
    for (const c of ids) {
      const v = row[c] as string | null
      if (v !== null && hasNhsNumber(v)) change[c] = storableId(v, pseudonymKey(), Number(row.source_id))
    }
    if (Object.keys(change).length > 0) await knex(table).where({ id: row.id }).update(change)
  }
}

export async function up(knex: Knex): Promise<void> {
  await maskRows(knex, 'disclosures', ['data_description', 'disclosed_by', 'disclosed_by_role'], ['source_record_id', 'source_version'])
  await maskRows(knex, 'override_events', ['description', 'actor', 'actor_role'], ['source_record_id', 'source_version'])
  await maskRows(knex, 'patient_choices', [], ['source_record_id', 'source_version'])

  const quarantined = await knex('quarantine').whereRaw('reason ~ ? OR record_key ~ ?', [LOOSE, LOOSE]).select('id', 'source_id', 'reason', 'record_key')
  for (const q of quarantined) {
    const change: Record<string, string> = {}
    if (hasNhsNumber(q.reason)) change.reason = quoteSafely(q.reason, 2000)
    if (hasNhsNumber(q.record_key)) change.record_key = storableId(q.record_key, pseudonymKey(), q.source_id)!
    if (Object.keys(change).length > 0) await knex('quarantine').where({ id: q.id }).update(change)
  }

  const runs = await knex('job_runs').whereRaw('error ~ ?', [LOOSE]).select('id', 'error')
  for (const r of runs) if (hasNhsNumber(r.error)) await knex('job_runs').where({ id: r.id }).update({ error: quoteSafely(r.error, 1000) })

  // Two recipients whose names differed only by the number would now share a name, which the
  // unique (name, type) key for organisations without an ODS code forbids: the later keeps its id.
  const organisations = await knex('organisations').whereRaw('name ~ ?', [LOOSE]).orderBy('id').select('id', 'name', 'ods_code', 'recipient_type')
  for (const o of organisations) {
    if (!hasNhsNumber(o.name)) continue
    let name = maskNhsNumbers(o.name)
    const clash = o.ods_code === null && (await knex('organisations').whereNull('ods_code').where({ recipient_type: o.recipient_type }).whereRaw('lower(name) = lower(?)', [name]).first('id'))
    if (clash) name = `${name} (recipient ${o.id})`
    await knex('organisations').where({ id: o.id }).update({ name })
  }
}

/** Masking cannot be undone: the numbers are gone, which was the point. */
export async function down(): Promise<void> {}
