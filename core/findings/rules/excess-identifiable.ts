import { Sql, sql } from '../../../db/sql.js'
import {
  SAY_DAY,
  SAY_PURPOSE,
  LEVEL_RANK,
  evidence,
  RECIPIENT_EVIDENCE,
  COVERING_AGREEMENT,
  COVERAGE_CTE,
  COVERED,
  FINDING_DISCLOSURE,
  GONE,
  disclosureScope,
} from '../fragments.js'
import { defineRule, type RuleQuery } from '../types.js'

const query: RuleQuery = {
  violations: (p) => sql`
    SELECT 'disclosure:' || d.id AS subject_key, d.practice_id,
           'agreement:' || cover.id AS case_key, d.occurred_at AS subject_at,
           format('%s data about patient %s was disclosed to %s on %s for %s, but agreement %s allows only %s data.',
                  initcap(d.data_level), d.patient_pseudonym, o.name, ${new Sql(SAY_DAY('d.occurred_at'), [])},
                  ${new Sql(SAY_PURPOSE('d.purpose'), [])}, cover.reference, cover.data_level) AS summary,
           ${new Sql(
             evidence(
               `jsonb_build_object('type', 'disclosure', 'id', d.id, 'sourceRecordId', d.source_record_id, 'dataLevel', d.data_level)`,
               `jsonb_build_object('type', 'agreement', 'id', cover.id, 'reference', cover.reference, 'dataLevel', cover.data_level)`,
               RECIPIENT_EVIDENCE,
             ),
             [],
           )} AS evidence
      FROM (WITH ${new Sql(COVERAGE_CTE, [])}
            SELECT d.* FROM disclosures d
             WHERE d.data_level <> 'anonymised'
               AND ${new Sql(COVERED(`cv.level_rank < ${LEVEL_RANK('d.data_level')}`), [])}
               AND NOT ${new Sql(COVERED(`cv.level_rank >= ${LEVEL_RANK('d.data_level')}`), [])}
               AND ${disclosureScope(p)}) d
      ${new Sql(COVERING_AGREEMENT, [])}
      JOIN organisations o ON o.id = d.recipient_id`,
  resolution: () =>
    new Sql(
      `SELECT CASE
          WHEN d.id IS NULL THEN ${GONE}
          WHEN cover.id IS NULL THEN 'No agreement in force covers this disclosure any more (see the no_agreement finding for it).'
          WHEN d.data_level <> coalesce(f.evidence -> 0 ->> 'dataLevel', d.data_level)
            THEN format('The source corrected the disclosure: the data was %s, which agreement %s allows.', d.data_level, cover.reference)
          ELSE format('Agreement %s now allows %s data for this disclosure.', cover.reference, cover.data_level)
        END AS reason
        ${FINDING_DISCLOSURE}
        ${COVERING_AGREEMENT}`,
      [],
    ),
}

export const excessIdentifiable = defineRule({
  id: 'excess_identifiable',
  severity: 'medium',
  title: 'More identifiable data than the agreement allows',
  explanation:
    'The data disclosed was more identifiable than the agreement relied on allows (identifiable data where only pseudonymised or anonymised data was agreed). Caldicott principle 3: use the minimum necessary confidential information. The notice promises that information which does not reveal the patient’s identity is what researchers and planners receive.',
  subject: 'disclosure',
  version: 1,
  incremental: true,
  dependsOn: { agreements: true },
  query,
})
