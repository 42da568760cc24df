import type { Db } from '../client.js'

export interface OrganisationInput {
  odsCode?: string | null
  name: string
  recipientType: string
}

/**
 * Returns the id of the organisation, creating it when first seen. Keyed by ODS code when
 * there is one, otherwise by name and recipient type (a solicitor's firm, an insurer).
 */
export async function ensureOrganisation(db: Db, org: OrganisationInput): Promise<number> {
  const name = org.name.trim() || org.odsCode || 'Unknown recipient'
  if (org.odsCode) {
    const { rows } = await db.raw(
      `INSERT INTO organisations (ods_code, name, recipient_type) VALUES (?, ?, ?)
       ON CONFLICT (ods_code) DO UPDATE SET ods_code = excluded.ods_code
       RETURNING id`,
      [org.odsCode.toUpperCase(), name, org.recipientType],
    )
    return rows[0].id
  }
  const { rows } = await db.raw(
    `INSERT INTO organisations (ods_code, name, recipient_type) VALUES (NULL, ?, ?)
     ON CONFLICT (lower(name), recipient_type) WHERE ods_code IS NULL DO UPDATE SET name = organisations.name
     RETURNING id`,
    [name, org.recipientType],
  )
  return rows[0].id
}

export async function findOrganisationByOds(db: Db, odsCode: string): Promise<{ id: number } | undefined> {
  return db('organisations').where({ ods_code: odsCode.toUpperCase() }).first('id')
}

/** A per-run memo so a batch of 1,000 disclosures to 12 recipients costs 12 look-ups. */
export function organisationCache(db: Db) {
  const ids = new Map<string, number>()
  return async (org: OrganisationInput): Promise<number> => {
    const key = org.odsCode ? `ods:${org.odsCode.toUpperCase()}` : `name:${org.name.trim().toLowerCase()}|${org.recipientType}`
    let id = ids.get(key)
    if (id === undefined) {
      id = await ensureOrganisation(db, org)
      ids.set(key, id)
    }
    return id
  }
}
