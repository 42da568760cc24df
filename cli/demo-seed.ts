import type { Db } from '../db/client.js'
import { addAgreement } from '../db/queries/agreements.js'
import { ensureOrganisation } from '../db/queries/organisations.js'
import { ensurePractice } from '../db/queries/practices.js'
import { createUser, findUserByEmail, type Role } from '../db/queries/users.js'
import { recordDsptStatus } from '../db/queries/notices.js'
import { importNoticeFile } from '../jobs/import-notice.js'
import { demoAgreements, demoDsptRegister, noticeFileFor, type Dataset, type DatasetOptions } from '../simulator/data.js'

/**
 * The demo's simulated practices: their data ends yesterday (in England), so a newcomer sees a
 * practice as it would look this morning. Tests and the benchmark keep the simulator's fixed
 * end date, so their numbers never depend on the day they run.
 */
export function demoDatasetOptions(now = new Date()): DatasetOptions & { endDate: string } {
  const yesterday = new Date(now.getTime() - 86_400_000)
  const endDate = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' }).format(
    yesterday,
  )
  return { practices: 3, days: 120, seed: 1, endDate }
}

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

/** Each simulated practice's privacy notice, from the files written from the seeds (seeds/notices/); a practice that has one already keeps it. */
export async function seedDemoNotices(db: Db, dataset: Dataset): Promise<number> {
  let recorded = 0
  for (const [index, { practice: p }] of dataset.practices.entries()) {
    const practice = await ensurePractice(db, { odsCode: p.odsCode, name: p.name, icbCode: p.icbCode })
    if (await db('privacy_notices').where({ practice_id: practice.id }).first('id')) continue
    await importNoticeFile(db, noticeFileFor(index).path, practice.id, 'demo')
    recorded++
  }
  return recorded
}

/** The organisation register's DSPT statuses for the demo's recipients (demoDsptRegister); rows already there are not added again. */
export async function seedDemoDspt(db: Db, dataset: Dataset): Promise<number> {
  let added = 0
  for (const s of demoDsptRegister(dataset)) {
    const organisationId = await ensureOrganisation(db, { odsCode: s.recipientOds, name: s.recipientName, recipientType: s.recipientType })
    const known = await db('organisation_dspt')
      .where({ organisation_id: organisationId, status: s.status, valid_from: s.validFrom })
      .first('id')
    if (known) continue
    await recordDsptStatus(db, { organisationId, status: s.status, validFrom: s.validFrom, validTo: s.validTo, source: 'demo register' })
    added++
  }
  return added
}

/** Demo sign-ins, one per role. Printed by the demo; only ever created in the demo. */
export const DEMO_PASSWORD = 'demo-password-not-for-real-use'
export const DEMO_USERS: Array<{ email: string; name: string; role: Role; allPractices: boolean }> = [
  { email: 'guardian@demo.nhs.uk', name: 'Dr Amara Okafor', role: 'caldicott_guardian', allPractices: true },
  { email: 'manager@demo.nhs.uk', name: 'Sam Patel', role: 'practice_manager', allPractices: false },
  { email: 'auditor@demo.nhs.uk', name: 'Jo Reed (DSPT assessor)', role: 'auditor', allPractices: true },
  { email: 'admin@demo.nhs.uk', name: 'Chris Lowe', role: 'admin', allPractices: true },
]

export async function seedDemoUsers(db: Db, practiceOds: string[]): Promise<void> {
  const ids: number[] = []
  for (const ods of practiceOds) ids.push((await ensurePractice(db, { odsCode: ods })).id)
  for (const u of DEMO_USERS) {
    if (await findUserByEmail(db, u.email)) continue
    // The practice manager looks after one practice, to show practice scoping.
    const practiceIds = u.role === 'admin' ? [] : u.allPractices ? ids : ids.slice(0, 1)
    await createUser(db, { email: u.email, displayName: u.name, password: DEMO_PASSWORD, role: u.role, practiceIds })
  }
}
