import os from 'node:os'
import path from 'node:path'
import type { Command } from 'commander'
import { DATA_LEVELS } from '../../core/inputs.js'
import { listLegalBases, listPurposes, listRecipientTypes } from '../../db/queries/codes.js'
import { writeAccessLog } from '../../db/queries/access-log.js'
import { NO_LEGAL_BASIS, type DisclosureFilter } from '../../db/queries/disclosures.js'
import { getPracticeByOds } from '../../db/queries/practices.js'
import { writeBalpFile } from '../../reports/balp.js'
import { UserError, withLedger } from '../context.js'
import { int, ods, periodDay, repeated } from '../options.js'

/** `ledger export balp`: disclosures as IHE BALP PrivacyDisclosure AuditEvents (NDJSON), docs/decisions/037. */
export function register(program: Command): void {
  const exportCmd = program.command('export').description('export records in standard formats')
  exportCmd
    .command('balp')
    .description('disclosures as IHE BALP PrivacyDisclosure AuditEvents, one per line (FHIR R4 NDJSON)')
    .requiredOption('--practice <ODS>', 'practice ODS code (repeat for several)', (v: string, prev: string[] = []) =>
      repeated(ods(v), prev),
    )
    .option('--from <YYYY-MM-DD>', 'first day of the period (England)', periodDay)
    .option('--to <YYYY-MM-DD>', 'last day of the period (inclusive)', periodDay)
    .option('--purpose <code>', 'only this purpose (a purpose code)')
    .option('--recipient-type <code>', 'only recipients of this type (a recipient type code)')
    .option('--recipient <id>', 'only this recipient (its number, as in /disclosures)', int('--recipient'))
    .option('--legal-basis <code>', `only this legal basis (a legal basis code, or "${NO_LEGAL_BASIS}" for none recorded)`)
    .option('--data-level <level>', `only this data level (${DATA_LEVELS.join(', ')})`)
    .requiredOption('--out <FILE.ndjson>', 'where to write the file')
    .action(
      (o: {
        practice: string[]
        from?: string
        to?: string
        purpose?: string
        recipientType?: string
        recipient?: number
        legalBasis?: string
        dataLevel?: string
        out: string
      }) =>
        withLedger(async ({ db }) => {
          if (o.from && o.to && o.from > o.to) throw new UserError('--from must not be after --to.', 2)
          const practiceIds: number[] = []
          for (const code of o.practice) {
            const practice = await getPracticeByOds(db, code)
            if (!practice) throw new UserError(`--practice: there is no practice with ODS code ${code}.`, 2)
            practiceIds.push(practice.id)
          }
          const [purposes, types, bases] = await Promise.all([listPurposes(db), listRecipientTypes(db), listLegalBases(db)])
          const known = (option: string, value: string | undefined, codes: string[]) => {
            if (value !== undefined && !codes.includes(value))
              throw new UserError(`${option}: "${value}" is not one of ${codes.join(', ')}.`, 2)
          }
          known(
            '--purpose',
            o.purpose,
            purposes.map((p) => p.code),
          )
          known(
            '--recipient-type',
            o.recipientType,
            types.map((t) => t.code),
          )
          known('--legal-basis', o.legalBasis, [...bases.map((b) => b.code), NO_LEGAL_BASIS])
          known('--data-level', o.dataLevel, [...DATA_LEVELS])
          const filter: DisclosureFilter = {
            purpose: o.purpose,
            recipientType: o.recipientType,
            recipientId: o.recipient,
            legalBasis: o.legalBasis,
            dataLevel: o.dataLevel as DisclosureFilter['dataLevel'],
          }
          const scope = { practiceIds, from: o.from, to: o.to }
          const started = Date.now()
          const count = await writeBalpFile(db, scope, filter, o.out)
          await writeAccessLog(db, {
            userId: null,
            actor: `cli:${os.userInfo().username}`,
            action: 'export',
            practiceIds,
            target: 'balp',
            detail: { filters: { practice: o.practice, from: o.from, to: o.to, ...filter }, rows: count, file: path.basename(o.out) },
          })
          const seconds = (Date.now() - started) / 1000
          console.log(
            `Wrote ${count.toLocaleString('en-GB')} BALP AuditEvents to ${o.out} in ${seconds.toFixed(1)} s (${o.practice.join(', ')}${o.from || o.to ? `, ${o.from ?? 'start'} to ${o.to ?? 'today'}` : ''}).`,
          )
        }),
    )
}
