import { Sql, sql } from '../../../db/sql.js'
import {
  SAY_DAY,
  SAY_PURPOSE,
  evidence,
  DISCLOSURE_EVIDENCE,
  RECIPIENT_EVIDENCE,
  FINDING_DISCLOSURE,
  GONE,
  disclosureScope,
} from '../fragments.js'
import {
  NOTICE_SPANS_CTE,
  NOTICE_IN_FORCE,
  MAKES_PROMISE,
  NOTICE_EVIDENCE,
  QUOTE,
  NOTICE_NOW,
  NO_LONGER_PROMISED,
} from '../notice-fragments.js'
import { defineRule, type RuleQuery } from '../types.js'

const CONSENT_ANSWERED = `ARRAY['explicit_consent', 's251', 'copi', 'legal_obligation', 'public_interest', 'vital_interests', 'mental_health_act', 'safeguarding_duty']`

const query: RuleQuery = {
  violations: (p) => sql`
    SELECT 'disclosure:' || d.id AS subject_key, d.practice_id,
           'recipient:' || d.recipient_id || ':' || d.purpose AS case_key, d.occurred_at AS subject_at,
           format('Identifiable %s data about patient %s was disclosed to %s on %s %s. %s',
                  ${new Sql(SAY_PURPOSE('d.purpose'), [])}, d.patient_pseudonym, o.name, ${new Sql(SAY_DAY('d.occurred_at'), [])},
                  CASE WHEN d.legal_basis IS NULL THEN 'with no legal basis recorded: no explicit consent, no s251 support, no COPI notice'
                       ELSE 'on implied consent only: no explicit consent, no s251 support, no COPI notice' END,
                  ${new Sql(QUOTE, [])}) AS summary,
           ${new Sql(evidence(DISCLOSURE_EVIDENCE, RECIPIENT_EVIDENCE, NOTICE_EVIDENCE), [])} AS evidence
      FROM (WITH ${new Sql(NOTICE_SPANS_CTE, [])}
            SELECT d.*, n.id AS notice_id, n.version AS notice_version FROM disclosures d
              JOIN purposes pu ON pu.code = d.purpose AND pu.opt_out_applies
              ${new Sql(NOTICE_IN_FORCE, [])}
              ${new Sql(MAKES_PROMISE('ask_before_identifiable_secondary'), [])}
             WHERE d.data_level = 'identifiable'
               AND (d.legal_basis IS NULL OR NOT d.legal_basis = ANY(${new Sql(CONSENT_ANSWERED, [])}))
               AND ${disclosureScope(p)}) d
      JOIN organisations o ON o.id = d.recipient_id
      JOIN privacy_notices n ON n.id = d.notice_id
      ${new Sql(MAKES_PROMISE('ask_before_identifiable_secondary'), [])}`,
  resolution: () =>
    new Sql(
      `SELECT CASE
          WHEN d.id IS NULL THEN ${GONE}
          WHEN d.data_level <> 'identifiable' THEN format('The source corrected the disclosure: the data was %s.', d.data_level)
          WHEN d.legal_basis = ANY(${CONSENT_ANSWERED}) THEN format('The source corrected the disclosure: its legal basis is %s.', lb.label)
          WHEN NOT pu.opt_out_applies THEN format('The source corrected the disclosure: its purpose is %s, which is not a secondary use.', ${SAY_PURPOSE('d.purpose')})
          ELSE ${NO_LONGER_PROMISED}
        END AS reason
        ${FINDING_DISCLOSURE}
        LEFT JOIN purposes pu ON pu.code = d.purpose
        LEFT JOIN legal_bases lb ON lb.code = d.legal_basis
        ${NOTICE_NOW('ask_before_identifiable_secondary')}`,
      [],
    ),
}

export const secondaryWithoutConsent = defineRule({
  id: 'secondary_without_consent',
  severity: 'high',
  title: 'Identifiable data used beyond care without permission',
  explanation:
    'Identifiable data was disclosed for a purpose beyond the patient’s care (research, planning, audit, commissioning and the like) with neither the patient’s explicit consent nor a basis that sets consent aside (s251 support from the Confidentiality Advisory Group, a COPI notice, a legal duty). Only practices whose notice promises to ask first are checked, and each finding quotes the promise in the notice’s own words, such as: “Whenever there is such a purpose and your data is not anonymised ... we or the participating organisation will always first contact you to ask for your permission to share your data.” Anonymised and pseudonymised data do not count. Caldicott principles 2 and 3: use confidential information only when necessary, and the minimum necessary.',
  subject: 'disclosure',
  version: 1,
  incremental: true,
  dependsOn: { notices: true },
  query,
})
