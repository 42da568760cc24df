import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { REPORT_FILE_KEEP_DAYS } from '../core/report-roles.js'
import { writeAccessLog } from '../db/queries/access-log.js'
import { deleteReportFilesBefore, storeReportFile } from '../db/queries/report-files.js'
import { produceReport, recordReport } from './index.js'
import type { ScheduledReportProducer } from '../core/scheduled-report.js'

/**
 * A scheduled report (decision 034), through the same code path as /reports: produced, signed,
 * recorded in report_exports, its file kept for downloading again, and the export written to
 * the access log by `schedule:<id>`. Called by the scheduled-reports job, which mails the link.
 */
export const produceScheduledReport: ScheduledReportProducer = async (db, s) => {
  const generatedBy = `schedule:${s.scheduleId}`
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-scheduled-'))
  const file = path.join(dir, 'report.pdf')
  try {
    const produced = await produceReport(
      db,
      {
        kind: s.kind,
        practiceIds: s.practiceIds,
        from: s.from,
        to: s.to,
        generatedBy,
        generatedByUserId: null,
        overrideReviewDays: s.overrideReviewDays,
        signingKey: s.signingKey,
      },
      file,
    )
    await db.transaction(async (trx) => {
      await recordReport(trx, produced)
      await storeReportFile(trx, produced.id, file)
    })
    await writeAccessLog(db, {
      userId: null,
      actor: generatedBy,
      action: 'report_export',
      practiceIds: s.practiceIds,
      target: `report:${produced.id}`,
      detail: {
        kind: s.kind,
        scheduleId: s.scheduleId,
        practices: produced.scope.practices.map((p) => p.odsCode),
        from: s.from,
        to: s.to,
        sha256: produced.sha256,
      },
    })
    await deleteReportFilesBefore(db, new Date(Date.now() - REPORT_FILE_KEEP_DAYS * 86_400_000))
    return { reportId: produced.id, practices: produced.scope.practices.map((p) => `${p.name} (${p.odsCode})`) }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
