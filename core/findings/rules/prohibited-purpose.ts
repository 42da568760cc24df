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
import { defineRule, type RuleQuery } from '../types.js'

const query: RuleQuery = {
  violations: (p) => sql`
    SELECT 'disclosure:' || d.id AS subject_key, d.practice_id,
           'recipient:' || d.recipient_id || ':' || d.purpose AS case_key, d.occurred_at AS subject_at,
           format('Data about patient %s was disclosed to %s on %s for %s, a purpose the practice promises never to share for.',
                  d.patient_pseudonym, o.name, ${new Sql(SAY_DAY('d.occurred_at'), [])}, ${new Sql(SAY_PURPOSE('d.purpose'), [])}) AS summary,
           ${new Sql(evidence(DISCLOSURE_EVIDENCE, RECIPIENT_EVIDENCE), [])} AS evidence
      FROM disclosures d
      JOIN purposes pu ON pu.code = d.purpose AND pu.prohibited
      JOIN organisations o ON o.id = d.recipient_id
     WHERE ${disclosureScope(p)}`,
  resolution: () =>
    new Sql(
      `SELECT CASE WHEN d.id IS NULL THEN ${GONE}
                   ELSE format('The source corrected the disclosure: its purpose is now %s.', ${SAY_PURPOSE('d.purpose')}) END AS reason
        ${FINDING_DISCLOSURE}`,
      [],
    ),
}

export const prohibitedPurpose = defineRule({
  id: 'prohibited_purpose',
  severity: 'high',
  title: 'Disclosure for a prohibited purpose',
  explanation:
    'Data was disclosed for marketing or insurance. The practice’s notice promises: “We’ll always keep your information safe and never sell it or pass it on for commercial or marketing purposes.” No agreement or legal basis makes this a justified purpose (Caldicott principle 1: justify the purpose).',
  subject: 'disclosure',
  version: 1,
  incremental: true,
  query,
})
