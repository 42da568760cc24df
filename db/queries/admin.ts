import type { Db } from '../client.js'
import type { Role } from './users.js'
import type { Scope } from './scope.js'

// What the administration pages read and change: users, sources, agreements and code mappings.
// These are reached only through requireAccess({ roles: ['admin'] }); an administrator's scope
// is every practice, and the lists still take it so no query ignores the practice limit.

export interface AdminUser {
  id: number
  email: string
  displayName: string
  role: Role
  disabledAt: Date | null
  lockedUntil: Date | null
  createdAt: Date
  practices: Array<{ id: number; odsCode: string }>
  /** How the user signs in: with NHS Care Identity (matched by subject, decision 038) or a password. */
  signsInWith: 'nhs_care_identity' | 'password'
}

/**
 * Every user, with the practices they hold (administrators hold every practice by their role, so
 * theirs is empty). A user whose practices are all outside the scope is left out, unless they
 * hold none.
 */
export async function listUsers(db: Db, scope: Scope): Promise<AdminUser[]> {
  const { rows } = await db.raw(
    `SELECT u.id, u.email, u.display_name AS "displayName", u.role, u.disabled_at AS "disabledAt",
            u.locked_until AS "lockedUntil", u.created_at AS "createdAt",
            CASE WHEN u.oidc_subject IS NOT NULL THEN 'nhs_care_identity' ELSE 'password' END AS "signsInWith",
            coalesce(json_agg(json_build_object('id', p.id, 'odsCode', p.ods_code) ORDER BY p.ods_code)
                     FILTER (WHERE p.id IS NOT NULL), '[]') AS practices
       FROM users u
       LEFT JOIN user_practices up ON up.user_id = u.id
       LEFT JOIN practices p ON p.id = up.practice_id
      GROUP BY u.id
     HAVING count(p.id) = 0 OR bool_or(p.id = ANY(?))
      ORDER BY lower(u.email)`,
    [scope.practiceIds],
  )
  return rows
}

/** Disables (every live session ends at once, sign-in is refused) or re-enables a user. */
export async function setUserDisabled(db: Db, userId: number, disabled: boolean): Promise<boolean> {
  return db.transaction(async (trx) => {
    const n = await trx('users')
      .where({ id: userId })
      .update({ disabled_at: disabled ? trx.fn.now() : null, ...(disabled ? {} : { failed_attempts: 0, locked_until: null }) })
    if (disabled)
      await trx.raw(`UPDATE sessions SET ended_at = now(), ended_reason = 'user disabled' WHERE user_id = ? AND ended_at IS NULL`, [userId])
    return n > 0
  })
}

export interface AdminSource {
  id: number
  name: string
  kind: 'fhir' | 'ndop_csv' | 'register_csv'
  baseUrl: string | null
  tokenSet: boolean
  expectedIntervalMinutes: number
  enabled: boolean
  /** Backfills read through FHIR Bulk Data $export (decision 037). */
  bulkExport: boolean
  practiceOds: string | null
  practiceName: string | null
  createdAt: Date
}

/** Sources with whether a token is set: the token itself never leaves the database. */
export async function listSourcesForAdmin(db: Db, scope: Scope): Promise<AdminSource[]> {
  return db('sources as s')
    .leftJoin('practices as p', 'p.id', 's.practice_id')
    .where((w) => w.whereIn('s.practice_id', scope.practiceIds).orWhereNull('s.practice_id'))
    .select(
      's.id',
      's.name',
      's.kind',
      's.base_url as baseUrl',
      db.raw(`(s.token IS NOT NULL AND s.token <> '') AS "tokenSet"`),
      's.expected_interval_minutes as expectedIntervalMinutes',
      's.enabled',
      's.bulk_export as bulkExport',
      'p.ods_code as practiceOds',
      'p.name as practiceName',
      's.created_at as createdAt',
    )
    .orderByRaw('p.ods_code NULLS FIRST, s.name, s.id')
}

export async function setSourceEnabled(db: Db, sourceId: number, enabled: boolean): Promise<boolean> {
  return (await db('sources').where({ id: sourceId }).update({ enabled })) > 0
}

/** The FHIR source of a practice at this base URL, if there is one (the unique key sources_fhir_key). */
export async function findFhirSource(db: Db, practiceId: number, baseUrl: string): Promise<{ id: number } | undefined> {
  return db('sources').where({ kind: 'fhir', practice_id: practiceId, base_url: baseUrl }).first('id')
}

export interface AdminAgreement {
  id: number
  reference: string
  recipientName: string
  recipientOds: string | null
  recipientTypeLabel: string
  dataLevel: 'identifiable' | 'pseudonymised' | 'anonymised'
  validFrom: string
  validTo: string | null
  inForce: boolean
  description: string | null
  purposes: Array<{ code: string; label: string }>
  practices: string[]
}

/** Agreements that cover at least one practice in scope, or none yet; newest first. */
export async function listAgreements(db: Db, scope: Scope): Promise<AdminAgreement[]> {
  const { rows } = await db.raw(
    `SELECT a.id, a.reference, o.name AS "recipientName", o.ods_code AS "recipientOds", rt.label AS "recipientTypeLabel",
            a.data_level AS "dataLevel", a.valid_from AS "validFrom", a.valid_to AS "validTo",
            (a.valid_from <= current_date AND (a.valid_to IS NULL OR a.valid_to >= current_date)) AS "inForce",
            a.description,
            coalesce((SELECT json_agg(json_build_object('code', pu.code, 'label', pu.label) ORDER BY pu.label)
                        FROM agreement_purposes ap JOIN purposes pu ON pu.code = ap.purpose
                       WHERE ap.agreement_id = a.id), '[]') AS purposes,
            coalesce((SELECT json_agg(pr.ods_code ORDER BY pr.ods_code)
                        FROM agreement_practices apr JOIN practices pr ON pr.id = apr.practice_id
                       WHERE apr.agreement_id = a.id), '[]') AS practices
       FROM data_sharing_agreements a
       JOIN organisations o ON o.id = a.recipient_id
       JOIN recipient_types rt ON rt.code = o.recipient_type
      WHERE NOT EXISTS (SELECT 1 FROM agreement_practices x WHERE x.agreement_id = a.id)
         OR EXISTS (SELECT 1 FROM agreement_practices x WHERE x.agreement_id = a.id AND x.practice_id = ANY(?))
      ORDER BY a.valid_from DESC, a.id DESC`,
    [scope.practiceIds],
  )
  return rows
}

export async function agreementReferenceExists(db: Db, reference: string): Promise<boolean> {
  return !!(await db('data_sharing_agreements').whereRaw('lower(reference) = lower(?)', [reference]).first('id'))
}

/** Organisations to choose a recipient from. */
export async function listOrganisations(
  db: Db,
): Promise<Array<{ id: number; name: string; odsCode: string | null; recipientTypeLabel: string }>> {
  return db('organisations as o')
    .join('recipient_types as rt', 'rt.code', 'o.recipient_type')
    .select('o.id', 'o.name', 'o.ods_code as odsCode', 'rt.label as recipientTypeLabel')
    .orderByRaw('lower(o.name), o.id')
}

export async function organisationExists(db: Db, id: number): Promise<boolean> {
  return !!(await db('organisations').where({ id }).first('id'))
}

export interface CodeMapping {
  system: string
  code: string
}

/** What a (system, code) pair is mapped to already, in either table, if anything. */
export async function existingPurposeMapping(db: Db, m: CodeMapping): Promise<string | undefined> {
  return (await db('purpose_code_map').where({ system: m.system, code: m.code }).first('purpose'))?.purpose
}

export async function existingChoiceMapping(db: Db, m: CodeMapping): Promise<{ kind: string; decision: string } | undefined> {
  return db('choice_code_map').where({ system: m.system, code: m.code }).first('kind', 'decision')
}

/** Adds a mapping; an existing one is never overwritten (records already loaded were read with it). */
export async function addPurposeMapping(db: Db, m: CodeMapping & { purpose: string }): Promise<boolean> {
  const rows = await db('purpose_code_map')
    .insert({ system: m.system, code: m.code, purpose: m.purpose })
    .onConflict(['system', 'code'])
    .ignore()
    .returning('code')
  return rows.length > 0
}

export async function addChoiceMapping(
  db: Db,
  m: CodeMapping & { kind: 'ndop' | 'type1' | 'record_sharing' | 'scr'; decision: 'deny' | 'permit' },
): Promise<boolean> {
  const rows = await db('choice_code_map')
    .insert({ system: m.system, code: m.code, kind: m.kind, decision: m.decision })
    .onConflict(['system', 'code'])
    .ignore()
    .returning('code')
  return rows.length > 0
}

/** Counts for the administration index page. */
export async function adminCounts(
  db: Db,
  scope: Scope,
): Promise<{ users: number; disabledUsers: number; sources: number; agreements: number; purposeCodes: number; choiceCodes: number }> {
  const [users, sources, agreements, purposeCodes, choiceCodes] = await Promise.all([
    listUsers(db, scope),
    listSourcesForAdmin(db, scope),
    listAgreements(db, scope),
    db('purpose_code_map').count('* as n').first(),
    db('choice_code_map').count('* as n').first(),
  ])
  return {
    users: users.length,
    disabledUsers: users.filter((u) => u.disabledAt).length,
    sources: sources.length,
    agreements: agreements.length,
    purposeCodes: Number(purposeCodes?.n ?? 0),
    choiceCodes: Number(choiceCodes?.n ?? 0),
  }
}
