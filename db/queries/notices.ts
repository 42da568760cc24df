import type { Db } from '../client.js'

/**
 * Practice privacy notices (docs/decisions/018) and the DSPT status of recipient organisations.
 * A notice version is never changed: recording a notice adds the next version.
 */

export interface NoticeInput {
  title: string
  inForceFrom: string
  purposes: string[] | null
  recipientTypes: string[] | null
  processors: Array<{ name: string; ods?: string | null }> | null
  promises: Array<{ promise: string; words: string }>
  source: string | null
  recordedBy: string
}

export interface NoticeRow {
  id: number
  practiceId: number
  version: number
  title: string
  inForceFrom: string
  purposes: string[] | null
  recipientTypes: string[] | null
  processors: Array<{ name: string; ods?: string | null }> | null
  source: string | null
  recordedBy: string
  createdAt: Date
  promises: Array<{ promise: string; words: string }>
}

const json = (v: unknown) => (v === null ? null : JSON.stringify(v))

/** Records the practice's next notice version (in one transaction with its promises). */
export async function recordNotice(db: Db, practiceId: number, n: NoticeInput): Promise<{ id: number; version: number }> {
  return db.transaction(async (trx) => {
    // One writer at a time per practice, so two imports cannot both take the same version number.
    await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?), ?)', ['sharing-ledger:notice', practiceId])
    const { rows } = await trx.raw(
      `INSERT INTO privacy_notices (practice_id, version, title, in_force_from, purposes, recipient_types, processors, source, recorded_by)
       SELECT ?, coalesce(max(version), 0) + 1, ?, ?::date, ?::jsonb, ?::jsonb, ?::jsonb, ?, ?
         FROM privacy_notices WHERE practice_id = ?
       RETURNING id, version`,
      [
        practiceId,
        n.title,
        n.inForceFrom,
        json(n.purposes),
        json(n.recipientTypes),
        json(n.processors),
        n.source,
        n.recordedBy,
        practiceId,
      ],
    )
    const { id, version } = rows[0]
    if (n.promises.length > 0) {
      await trx('notice_promises').insert(
        n.promises.map((p, i) => ({ notice_id: id, promise: p.promise, words: p.words, position: i + 1 })),
      )
    }
    return { id, version }
  })
}

function toRow(r: Record<string, any>, promises: Array<{ promise: string; words: string }>): NoticeRow {
  return {
    id: r.id,
    practiceId: r.practice_id,
    version: r.version,
    title: r.title,
    inForceFrom: r.in_force_from_text,
    purposes: r.purposes,
    recipientTypes: r.recipient_types,
    processors: r.processors,
    source: r.source,
    recordedBy: r.recorded_by,
    createdAt: r.created_at,
    promises,
  }
}

async function withPromises(db: Db, rows: Array<Record<string, any>>): Promise<NoticeRow[]> {
  if (rows.length === 0) return []
  const promises = await db('notice_promises')
    .whereIn(
      'notice_id',
      rows.map((r) => r.id),
    )
    .orderBy(['notice_id', 'position'])
  return rows.map((r) =>
    toRow(
      r,
      promises.filter((p) => p.notice_id === r.id).map((p) => ({ promise: p.promise, words: p.words })),
    ),
  )
}

const NOTICE_COLUMNS = `n.*, to_char(n.in_force_from, 'YYYY-MM-DD') AS in_force_from_text`

/** Every version of a practice's notice, newest first. */
export async function listNoticeVersions(db: Db, practiceId: number): Promise<NoticeRow[]> {
  const { rows } = await db.raw(`SELECT ${NOTICE_COLUMNS} FROM privacy_notices n WHERE n.practice_id = ? ORDER BY n.version DESC`, [
    practiceId,
  ])
  return withPromises(db, rows)
}

/**
 * The notices in force on some day of [from, to] for each practice, latest first: the version
 * with the latest in_force_from on or before a day wins (a later version on the same day wins).
 */
export async function noticesInForce(db: Db, practiceIds: number[], from: string | null, to: string): Promise<NoticeRow[]> {
  if (practiceIds.length === 0) return []
  const { rows } = await db.raw(
    `WITH spans AS (
       SELECT n.*, lead(n.in_force_from) OVER (PARTITION BY n.practice_id ORDER BY n.in_force_from, n.version) AS until
         FROM privacy_notices n WHERE n.practice_id = ANY(?::int[]))
     SELECT ${NOTICE_COLUMNS} FROM spans n
      WHERE n.in_force_from <= ?::date AND (n.until IS NULL OR n.until > n.in_force_from)
        AND (n.until IS NULL OR ?::date IS NULL OR n.until > ?::date)
      ORDER BY n.practice_id, n.in_force_from DESC, n.version DESC`,
    [`{${practiceIds.join(',')}}`, to, from, from],
  )
  return withPromises(db, rows)
}

/** A digest of every notice and its promises: a change means the rules that read notices re-evaluate in full. */
export async function noticeDigest(db: Db): Promise<string> {
  const { rows } = await db.raw(`
    SELECT md5(coalesce((SELECT string_agg(concat_ws('|', n.id, n.practice_id, n.version, n.in_force_from, n.purposes, n.recipient_types, n.processors,
                                          (SELECT string_agg(p.promise || '=' || md5(p.words), ',' ORDER BY p.promise) FROM notice_promises p WHERE p.notice_id = n.id)),
                                ';' ORDER BY n.id) FROM privacy_notices n), '')) AS digest`)
  return rows[0].digest
}

// ---- DSPT status in the organisation register ------------------------------------------------

export interface DsptInput {
  organisationId: number
  status: string
  validFrom: string
  validTo?: string | null
  source?: string | null
}

export async function recordDsptStatus(db: Db, s: DsptInput): Promise<number> {
  const [row] = await db('organisation_dspt')
    .insert({
      organisation_id: s.organisationId,
      status: s.status,
      valid_from: s.validFrom,
      valid_to: s.validTo ?? null,
      source: s.source ?? null,
    })
    .returning('id')
  return row.id
}

export async function dsptDigest(db: Db): Promise<string> {
  const { rows } = await db.raw(`
    SELECT md5(coalesce((SELECT string_agg(concat_ws('|', id, organisation_id, status, valid_from, valid_to), ';' ORDER BY id) FROM organisation_dspt), '')) AS digest`)
  return rows[0].digest
}
