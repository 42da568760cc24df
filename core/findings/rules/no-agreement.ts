import { Sql, sql } from '../../../db/sql.js'
import {
  LONDON_DAY,
  SAY_DAY,
  SAY_PURPOSE,
  evidence,
  DISCLOSURE_EVIDENCE,
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
           'recipient:' || d.recipient_id || ':' || d.purpose AS case_key, d.occurred_at AS subject_at,
           format('Data about patient %s was disclosed to %s on %s for %s, but %s',
                  d.patient_pseudonym, o.name, ${new Sql(SAY_DAY('d.occurred_at'), [])}, ${new Sql(SAY_PURPOSE('d.purpose'), [])},
                  CASE WHEN near.id IS NOT NULL THEN
                         format('agreement %s covering that purpose was not in force that day (valid %s to %s).',
                                near.reference, to_char(near.valid_from, 'FMDD Mon YYYY'),
                                coalesce(to_char(near.valid_to, 'FMDD Mon YYYY'), 'no end date'))
                       WHEN any_agreement.id IS NOT NULL THEN
                         format('none of the recipient''s data sharing agreements covers %s for this practice.', ${new Sql(SAY_PURPOSE('d.purpose'), [])})
                       ELSE 'the recipient has no data sharing agreement with the practice.' END) AS summary,
           ${new Sql(
             evidence(
               DISCLOSURE_EVIDENCE,
               RECIPIENT_EVIDENCE,
               `CASE WHEN near.id IS NOT NULL THEN jsonb_build_object('type', 'agreement', 'id', near.id, 'reference', near.reference) END`,
             ),
             [],
           )} AS evidence
      FROM (WITH ${new Sql(COVERAGE_CTE, [])}
            SELECT d.* FROM disclosures d
             WHERE NOT ${new Sql(COVERED('TRUE'), [])} AND ${disclosureScope(p)}) d
      JOIN organisations o ON o.id = d.recipient_id
      LEFT JOIN LATERAL (
        SELECT a.id, a.reference, a.valid_from, a.valid_to
          FROM data_sharing_agreements a
          JOIN agreement_purposes ap ON ap.agreement_id = a.id AND ap.purpose = d.purpose
          JOIN agreement_practices apr ON apr.agreement_id = a.id AND apr.practice_id = d.practice_id
         WHERE a.recipient_id = d.recipient_id
         ORDER BY least(abs(a.valid_from - ${new Sql(LONDON_DAY('d.occurred_at'), [])}),
                        abs(coalesce(a.valid_to, a.valid_from) - ${new Sql(LONDON_DAY('d.occurred_at'), [])})), a.id
         LIMIT 1) near ON true
      LEFT JOIN LATERAL (SELECT a.id FROM data_sharing_agreements a WHERE a.recipient_id = d.recipient_id LIMIT 1) any_agreement ON true
     WHERE o.recipient_type <> 'patient_representative'`,
  resolution: () =>
    new Sql(
      `SELECT CASE
          WHEN d.id IS NULL THEN ${GONE}
          WHEN cover.id IS NOT NULL THEN format('Agreement %s now covers %s disclosures to %s on %s.', cover.reference, ${SAY_PURPOSE('d.purpose')}, o.name, ${SAY_DAY('d.occurred_at')})
          ELSE 'The recipient is now recorded as the patient or their representative, who needs no data sharing agreement.'
        END AS reason
        ${FINDING_DISCLOSURE}
        ${COVERING_AGREEMENT}`,
      [],
    ),
}

export const noAgreement = defineRule({
  id: 'no_agreement',
  severity: 'medium',
  title: 'No data sharing agreement in force',
  explanation:
    'Data was disclosed to an organisation that had no data sharing agreement in force on that day covering that purpose and this practice. The notice promises that information is shared with other organisations “subject to strict agreements on how it will be used”. Every purpose needs one except disclosures to the patient or their representative; a one-off disclosure under a legal duty (a court order, a police request) should be accepted with the guardian’s written reasons, which is the record the Caldicott principles ask for.',
  subject: 'disclosure',
  version: 1,
  incremental: true,
  dependsOn: { agreements: true },
  query,
})
