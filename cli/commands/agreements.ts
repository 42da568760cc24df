import { Option, type Command } from 'commander'
import { addAgreement, type AddAgreementInput } from '../../core/admin/index.js'
import { DATA_LEVELS } from '../../core/inputs.js'
import { recipientTypeFromOds } from '../../jobs/fhir/map-audit-event.js'
import { adminContextOf, withLedger } from '../context.js'
import { refusal, repeated } from '../options.js'

interface AgreementOptions {
  reference: string
  recipientOds?: string
  recipientName?: string
  recipientType?: string
  purpose: string[]
  dataLevel: string
  from: string
  to?: string
  practice: string[]
  description?: string
  json?: boolean
}

// Which option carried each field of the operation's input, to name it in a refusal.
const OPTION_OF_FIELD = {
  reference: '--reference',
  dataLevel: '--data-level',
  validFrom: '--from',
  validTo: '--to',
  description: '--description',
  purposes: '--purpose',
  practices: '--practice',
  recipient: '--recipient-ods',
  recipientOds: '--recipient-ods',
  newRecipientName: '--recipient-name',
  newRecipientOds: '--recipient-ods',
  newRecipientType: '--recipient-type',
}

/** `ledger agreement add`: data sharing agreements. */
export function register(program: Command): void {
  const agreementCmd = program.command('agreement').description('data sharing agreements')
  agreementCmd
    .command('add')
    .description('record a data sharing agreement, then refresh the findings it affects')
    .requiredOption('--reference <R>', 'the agreement reference, e.g. DSA-2026-014')
    .option('--recipient-ods <X>', 'recipient ODS code (an organisation already known, or give --recipient-name too)')
    .option('--recipient-name <N>', 'recipient name (for a recipient without an ODS code, with --recipient-type)')
    .option('--recipient-type <T>', 'recipient type code, e.g. nhs_trust, research_org, police_judicial')
    .requiredOption('--purpose <P>', 'a purpose it covers, e.g. research (repeat for more)', repeated)
    .addOption(new Option('--data-level <L>', 'the most identifiable data it allows').choices([...DATA_LEVELS]).makeOptionMandatory())
    // The dates are checked by the operation, as the web form's are: the same sentence either way.
    .requiredOption('--from <YYYY-MM-DD>', 'first day in force')
    .option('--to <YYYY-MM-DD>', 'last day in force (inclusive); open-ended when left out')
    .requiredOption('--practice <ODS...>', 'practices party to it (repeat or list several)')
    .option('--description <text>', 'what is shared and why')
    .option('--json', 'print JSON')
    .action((o: AgreementOptions) =>
      withLedger(async (deps) => {
        const added = await addAgreement(adminContextOf(deps), {
          reference: o.reference,
          dataLevel: o.dataLevel,
          validFrom: o.from,
          validTo: o.to ?? '',
          description: o.description ?? '',
          purposes: o.purpose,
          practices: o.practice,
          ...recipientOf(o),
        })
        if (!added.ok) throw refusal(added.errors, OPTION_OF_FIELD)
        const { id, reference, recipientId, findings } = added.value
        if (o.json)
          return console.log(
            JSON.stringify({ id, reference, recipientId, findings: { opened: findings?.opened ?? 0, resolved: findings?.resolved ?? 0 } }),
          )
        console.log(
          `Added agreement ${reference} (id ${id}). Findings: ${findings?.resolved ?? 0} resolved, ${findings?.opened ?? 0} opened.`,
        )
      }),
    )
}

/**
 * The recipient as the operation reads it: a known organisation by --recipient-ods (created from
 * --recipient-name when not known yet, its type implied by the code unless given), or a new one
 * from --recipient-name and --recipient-type.
 */
function recipientOf(o: AgreementOptions): Partial<AddAgreementInput> {
  if (o.recipientOds !== undefined) {
    return {
      recipientOds: o.recipientOds,
      newRecipientName: o.recipientName,
      newRecipientType: o.recipientType ?? recipientTypeFromOds(o.recipientOds.trim().toUpperCase()),
    }
  }
  return { recipient: 'new', newRecipientName: o.recipientName ?? '', newRecipientOds: '', newRecipientType: o.recipientType ?? '' }
}
