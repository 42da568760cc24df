import type { Knex } from 'knex'
import type { Db } from '../../db/client.js'
import { rawRows, type DisclosureFilter } from '../../db/queries/disclosures.js'
import type { Scope } from '../../db/queries/scope.js'

export type { DisclosureFilter } from '../../db/queries/disclosures.js'

/**
 * The disclosures the BALP export writes (the /disclosures filters, the same scope), oldest
 * first, with what each AuditEvent names (core/balp.ts BalpDisclosureRow). Read through
 * cursorBatches, never whole.
 */
export function balpDisclosureQuery(db: Db, scope: Scope, filter: DisclosureFilter): Knex.QueryBuilder {
  return rawRows(db, scope, filter)
    .join('practices as pr', 'pr.id', 'd.practice_id')
    .join('sources as s', 's.id', 'd.source_id')
    .join('purposes as p', 'p.code', 'd.purpose')
    .join('recipient_types as rt', 'rt.code', 'o.recipient_type')
    .leftJoin('legal_bases as lb', 'lb.code', 'd.legal_basis')
    .select(
      'd.id',
      'd.occurred_at',
      'd.collected_at',
      'pr.ods_code as practice_ods',
      'pr.name as practice_name',
      'd.source_id',
      's.kind as source_kind',
      's.base_url as source_base_url',
      'd.source_record_id',
      'd.patient_pseudonym',
      'o.id as recipient_id',
      'o.name as recipient_name',
      'o.ods_code as recipient_ods',
      'o.recipient_type',
      'rt.label as recipient_type_label',
      'd.purpose',
      'p.label as purpose_label',
      'd.legal_basis',
      'lb.label as legal_basis_label',
      'd.data_level',
      'd.data_description',
    )
    .orderBy([{ column: 'd.occurred_at' }, { column: 'd.id' }])
}
