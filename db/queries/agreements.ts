import type { Db } from '../client.js'

export interface AgreementInput {
  reference: string
  recipientId: number
  dataLevel: 'identifiable' | 'pseudonymised' | 'anonymised'
  validFrom: string
  validTo: string | null
  description?: string | null
  purposes: string[]
  practiceIds: number[]
  createdBy?: number | null
}

/** Records a data sharing agreement with its purposes and practices; a known reference is left as it is. */
export async function addAgreement(db: Db, a: AgreementInput): Promise<{ id: number; created: boolean }> {
  return db.transaction(async (trx) => {
    const existing = await trx('data_sharing_agreements').where({ reference: a.reference }).first('id')
    if (existing) return { id: existing.id, created: false }
    const [row] = await trx('data_sharing_agreements')
      .insert({
        reference: a.reference,
        recipient_id: a.recipientId,
        data_level: a.dataLevel,
        valid_from: a.validFrom,
        valid_to: a.validTo,
        description: a.description ?? null,
        created_by: a.createdBy ?? null,
      })
      .returning('id')
    if (a.purposes.length) await trx('agreement_purposes').insert(a.purposes.map((purpose) => ({ agreement_id: row.id, purpose })))
    if (a.practiceIds.length)
      await trx('agreement_practices').insert(a.practiceIds.map((practice_id) => ({ agreement_id: row.id, practice_id })))
    return { id: row.id, created: true }
  })
}
