import type { Db } from '../db/client.js'
import { addAgreement } from '../db/queries/agreements.js'
import { ensureOrganisation } from '../db/queries/organisations.js'
import { ensurePractice } from '../db/queries/practices.js'
import { demoAgreements, type Dataset } from '../jobs/simulator/data.js'

/** The demo's data sharing agreements: they cover every disclosure the simulator did not plant as a violation. */
export async function seedDemoAgreements(db: Db, dataset: Dataset): Promise<number> {
  let created = 0
  for (const a of demoAgreements(dataset)) {
    const recipientId = await ensureOrganisation(db, { odsCode: a.recipientOds, name: a.recipientName, recipientType: a.recipientType })
    const practiceIds = []
    for (const ods of a.practices) practiceIds.push((await ensurePractice(db, { odsCode: ods })).id)
    const result = await addAgreement(db, {
      reference: a.reference,
      recipientId,
      dataLevel: a.dataLevel,
      validFrom: a.validFrom,
      validTo: a.validTo,
      description: a.description,
      purposes: a.purposes,
      practiceIds,
    })
    if (result.created) created++
  }
  return created
}
