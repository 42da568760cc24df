import os from 'node:os'
import { writeAccessLog } from '../../db/queries/access-log.js'
import { getPracticeByOds } from '../../db/queries/practices.js'
import { UserError, withLedger } from '../context.js'
import type { Command } from 'commander'
import { int, ods, periodDay, signingKeyOf } from '../options.js'

/**
 * `ledger report`, `ledger statement` and `ledger verify`: everything else lives in reports/;
 * these only parse arguments and print.
 */
export function register(program: Command): void {
  program
    .command('report')
    .description(
      'write a PDF report (audit evidence pack, commissioner report, incident review, annual Caldicott report) and record its digest',
    )
    .argument('<kind>', 'audit | commissioner | incident | annual')
    .requiredOption('--practice <ODS>', 'practice ODS code (repeat for several)', (v: string, prev: string[] = []) => [...prev, ods(v)])
    .requiredOption('--from <YYYY-MM-DD>', 'first day of the period', periodDay)
    .requiredOption('--to <YYYY-MM-DD>', 'last day of the period', periodDay)
    .option('--event <ID>', 'incident review: the override event', int('--event'))
    .option('--finding <ID>', 'incident review: a finding about a disclosure or an override (instead of --event)', int('--finding'))
    .requiredOption('--out <FILE.pdf>', 'where to write the PDF')
    .action(async (kind: string, o: { practice: string[]; from: string; to: string; event?: number; finding?: number; out: string }) =>
      withLedger(async ({ db, config }) => {
        const { generateReport, ReportError, REPORT_KINDS } = await import('../../reports/index.js')
        if (!(REPORT_KINDS as readonly string[]).includes(kind))
          throw new UserError(`Unknown report kind '${kind}': use audit, commissioner, incident or annual.`)
        if (kind === 'incident' && o.event === undefined && o.finding === undefined)
          throw new UserError('An incident review needs --event ID (an override event) or --finding ID.')
        const practiceIds: number[] = []
        for (const code of o.practice) {
          const practice = await getPracticeByOds(db, code)
          if (!practice) throw new UserError(`There is no practice with ODS code ${code}.`)
          practiceIds.push(practice.id)
        }
        const generatedBy = `cli:${os.userInfo().username}`
        try {
          const r = await generateReport(
            db,
            {
              kind: kind as 'audit',
              practiceIds,
              from: o.from,
              to: o.to,
              eventId: o.event,
              findingId: o.finding,
              generatedBy,
              overrideReviewDays: config.overrideReviewDays,
              signingKey: signingKeyOf(config),
            },
            o.out,
          )
          await writeAccessLog(db, {
            userId: null,
            actor: generatedBy,
            action: 'report_export',
            practiceIds,
            target: `report:${r.id}`,
            detail: {
              kind,
              practices: o.practice,
              from: o.from,
              to: o.to,
              eventId: o.event ?? null,
              findingId: o.finding ?? null,
              sha256: r.sha256,
              rowCounts: r.rowCounts,
            },
          })
          console.log(`Wrote ${kind} report ${r.id} to ${o.out} (${r.pages} pages, SHA-256 ${r.sha256}).`)
        } catch (err) {
          if (err instanceof ReportError) throw new UserError(err.message)
          throw err
        }
      }),
    )

  program
    .command('statement')
    .description(
      "write a patient's disclosure statement (every disclosure of that patient at the practice, in plain words); the NHS number is pseudonymised in memory and never stored or logged",
    )
    .requiredOption('--practice <ODS>', 'the practice', ods)
    .requiredOption('--nhs-number <N>', "the patient's NHS number (10 digits; spaces allowed)")
    .option('--from <YYYY-MM-DD>', 'first day (default: six years before --to)', periodDay)
    .option('--to <YYYY-MM-DD>', 'last day (default: today)', periodDay)
    .requiredOption('--out <FILE.pdf>', 'where to write the PDF')
    .action(async (o: { practice: string; nhsNumber: string; from?: string; to?: string; out: string }) => {
      const { pseudonymiseNhsNumber } = await import('../../jobs/pseudonym.js')
      const { checkValue, NhsNumber } = await import('../../core/inputs.js')
      const nhs = checkValue(NhsNumber, o.nhsNumber)
      if (!nhs.ok) throw new UserError(`--nhs-number: ${nhs.message}`, 2)
      const digits = nhs.value
      const { defaultStatementPeriod } = await import('../../core/statement-period.js')
      const period = defaultStatementPeriod()
      const to = o.to ?? period.to
      const from = o.from ?? defaultStatementPeriod(new Date(`${to}T12:00:00Z`)).from
      if (from > to) throw new UserError('--from is after --to.', 2)
      await withLedger(async ({ db, config }) => {
        const { generateReport } = await import('../../reports/index.js')
        const practice = await getPracticeByOds(db, o.practice)
        if (!practice) throw new UserError(`There is no practice with ODS code ${o.practice}.`)
        const patient = pseudonymiseNhsNumber(config.pseudonymKey, digits)
        const generatedBy = `cli:${os.userInfo().username}`
        const r = await generateReport(
          db,
          {
            kind: 'statement',
            practiceIds: [practice.id],
            from,
            to,
            patientPseudonym: patient,
            generatedBy,
            signingKey: signingKeyOf(config),
          },
          o.out,
        )
        await writeAccessLog(db, {
          userId: null,
          actor: generatedBy,
          action: 'statement_export',
          practiceIds: [practice.id],
          target: `report:${r.id}`,
          detail: { kind: 'statement', practices: [o.practice], from, to, patient, sha256: r.sha256 },
        })
        console.log(
          `Wrote the disclosure statement ${r.id} for patient ${patient} at ${o.practice}, ${from} to ${to}, to ${o.out} (${r.rowCounts.statement_disclosures ?? 0} disclosures, ${r.pages} pages).`,
        )
      })
    })

  program
    .command('verify')
    .description(
      'check that a PDF is a report this system produced with its content as signed (exit 0: genuine, or content unchanged in a re-saved file) or not (exit 1). ' +
        "With --public-key no database is used; without it, the configured key and the database's record of the report are checked.",
    )
    .argument('<file>', 'the PDF')
    .option(
      '--public-key <KEY.pem>',
      'the public key the report should be signed with (from `ledger keys public`); checks the file alone, offline',
    )
    .action(async (file: string, o: { publicKey?: string }) => {
      const fs = await import('node:fs')
      const { verifyReportFile, describeFileVerdict, verdictExitCode } = await import('../../reports/verify-file.js')
      const { parsePublicKey } = await import('../../core/signing.js')
      const readOrFail = (f: string, what: string) => {
        try {
          return fs.readFileSync(f)
        } catch {
          throw new UserError(`Cannot read ${what} ${f}.`, 2)
        }
      }
      const bytes = readOrFail(file, 'the file')
      if (o.publicKey !== undefined) {
        const key = parsePublicKey(readOrFail(o.publicKey, 'the public key').toString('utf8'))
        if (!key) throw new UserError(`${o.publicKey} is not an Ed25519 public key in PEM form (as \`ledger keys public\` prints it).`, 2)
        const verdict = await verifyReportFile(bytes, key)
        console.log(describeFileVerdict(verdict))
        process.exitCode = verdictExitCode(verdict)
        return
      }
      await withLedger(async ({ db, config }) => {
        const { verifyRecordedReport } = await import('../../reports/index.js')
        const result = await verifyRecordedReport(db, bytes, signingKeyOf(config).publicKey)
        console.log(result.message)
        process.exitCode = result.ok ? 0 : 1
      })
    })
}
