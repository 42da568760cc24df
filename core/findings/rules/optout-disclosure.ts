import { Sql, sql } from '../../../db/sql.js'
import {
  SAY_DAY,
  SAY_PURPOSE,
  evidence,
  DISCLOSURE_EVIDENCE,
  RECIPIENT_EVIDENCE,
  choiceInForce,
  IN_FORCE,
  HAS_DENIAL,
  FINDING_DISCLOSURE,
  GONE,
  disclosureScope,
} from '../fragments.js'
import { defineRule, type RuleQuery } from '../types.js'

const query: RuleQuery = {
  violations: (p) => sql`
    SELECT 'disclosure:' || d.id AS subject_key, d.practice_id,
           'patient:' || d.patient_pseudonym AS case_key, d.occurred_at AS subject_at,
           format('Identifiable %s data about patient %s was disclosed to %s on %s while their %s was in force; %s',
                  ${new Sql(SAY_PURPOSE('d.purpose'), [])}, d.patient_pseudonym, o.name, ${new Sql(SAY_DAY('d.occurred_at'), [])},
                  CASE WHEN ${new Sql(IN_FORCE('nd'), [])} AND ${new Sql(IN_FORCE('t1'), [])} THEN 'national data opt-out and Type 1 opt-out'
                       WHEN ${new Sql(IN_FORCE('nd'), [])} THEN 'national data opt-out' ELSE 'Type 1 opt-out' END,
                  CASE WHEN lb.code IS NULL THEN 'no legal basis was recorded that would set the opt-out aside.'
                       ELSE format('its legal basis (%s) does not set the opt-out aside.', lb.label) END) AS summary,
           ${new Sql(
             evidence(
               DISCLOSURE_EVIDENCE,
               `CASE WHEN ${IN_FORCE('nd')} THEN jsonb_build_object('type', 'patient_choice', 'id', nd.id, 'kind', 'ndop') END`,
               `CASE WHEN ${IN_FORCE('t1')} THEN jsonb_build_object('type', 'patient_choice', 'id', t1.id, 'kind', 'type1') END`,
               RECIPIENT_EVIDENCE,
             ),
             [],
           )} AS evidence
      FROM disclosures d
      JOIN purposes pu ON pu.code = d.purpose AND pu.opt_out_applies
      JOIN organisations o ON o.id = d.recipient_id
      LEFT JOIN legal_bases lb ON lb.code = d.legal_basis
      ${new Sql(choiceInForce('nd', 'ndop'), [])}
      ${new Sql(choiceInForce('t1', 'type1'), [])}
     WHERE d.data_level = 'identifiable'
       AND NOT coalesce(lb.exempts_opt_out, false)
       AND ${new Sql(HAS_DENIAL(`'ndop', 'type1'`), [])}
       AND (${new Sql(IN_FORCE('nd'), [])} OR ${new Sql(IN_FORCE('t1'), [])})
       AND ${disclosureScope(p)}`,
  resolution: () =>
    new Sql(
      `SELECT CASE
          WHEN d.id IS NULL THEN ${GONE}
          WHEN d.data_level <> 'identifiable' THEN format('The source corrected the disclosure: the data was %s, which the opt-outs do not cover.', d.data_level)
          WHEN NOT pu.opt_out_applies THEN format('The source corrected the disclosure: its purpose is %s, which the opt-outs do not cover.', ${SAY_PURPOSE('d.purpose')})
          WHEN lb.exempts_opt_out THEN format('The source corrected the disclosure: its legal basis (%s) sets the opt-out aside.', lb.label)
          ELSE format('The patient''s opt-out records changed: no national data opt-out or Type 1 opt-out was in force on %s.', ${SAY_DAY('d.occurred_at')})
        END AS reason
        ${FINDING_DISCLOSURE}
        LEFT JOIN purposes pu ON pu.code = d.purpose
        LEFT JOIN legal_bases lb ON lb.code = d.legal_basis`,
      [],
    ),
}

export const optoutDisclosure = defineRule({
  id: 'optout_disclosure',
  severity: 'high',
  title: 'Opted-out patient’s data disclosed',
  explanation:
    'Identifiable data was disclosed for a purpose beyond the patient’s care (research or planning) while the patient’s national data opt-out or Type 1 opt-out was in force, and no legal basis that sets an opt-out aside (explicit consent, a court order or legal duty, overriding public interest, a COPI notice) was recorded. The practice’s notice promises patients they can opt out of this use of their information and that the choice will be respected; disclosing anyway breaks Caldicott principle 6 (comply with the law, here the national data opt-out policy) and principle 8 (patients know what choices they have, and can rely on them).',
  subject: 'disclosure',
  version: 1,
  incremental: true,
  dependsOn: { choiceKinds: ['ndop', 'type1'] },
  query,
})
