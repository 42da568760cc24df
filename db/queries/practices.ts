import type { Db } from '../client.js'

export interface PracticeRow {
  id: number
  ods_code: string
  name: string
  icb_code: string | null
  icb_name: string | null
  list_size: number | null
  list_size_as_of: string | null
}

export const ODS_PRACTICE_PATTERN = /^[A-Z][0-9]{5}$/

export async function getPracticeByOds(db: Db, odsCode: string): Promise<PracticeRow | undefined> {
  return db('practices').where({ ods_code: odsCode.toUpperCase() }).first()
}

/** Finds a practice by ODS code, creating it when first seen; known details fill gaps only. */
export async function ensurePractice(
  db: Db,
  p: { odsCode: string; name?: string; icbCode?: string | null; icbName?: string | null },
): Promise<PracticeRow> {
  const ods = p.odsCode.toUpperCase()
  const { rows } = await db.raw(
    `INSERT INTO practices (ods_code, name, icb_code, icb_name) VALUES (?, ?, ?, ?)
     ON CONFLICT (ods_code) DO UPDATE SET
       name = CASE WHEN practices.name = practices.ods_code THEN excluded.name ELSE practices.name END,
       icb_code = coalesce(practices.icb_code, excluded.icb_code),
       icb_name = coalesce(practices.icb_name, excluded.icb_name)
     RETURNING *`,
    [ods, p.name ?? ods, p.icbCode ?? null, p.icbName ?? null],
  )
  return rows[0]
}

export async function listPractices(db: Db): Promise<PracticeRow[]> {
  return db('practices').orderBy('ods_code')
}
