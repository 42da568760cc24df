import type { Db } from '../../db/client.js'

export interface ScopePractice {
  id: number
  odsCode: string
  name: string
  icbCode: string | null
  icbName: string | null
  listSize: number | null
}

/** The practices a report covers, by ODS code. */
export async function loadScopePractices(db: Db, practiceIds: number[]): Promise<ScopePractice[]> {
  return db('practices')
    .whereIn('id', practiceIds)
    .orderBy('ods_code')
    .select('id', 'ods_code as odsCode', 'name', 'icb_code as icbCode', 'icb_name as icbName', 'list_size as listSize')
}
