import { Sql, sql } from '../../../db/sql.js'
import {
  LONDON_DAY,
  SAY_DAY,
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

const DSPT_WORDS = (col: string) => `replace(${col}, '_', ' ')`
/** The recipient's DSPT status on the disclosure's day: the latest-starting record covering it. */
const DSPT_ON_DAY = `LEFT JOIN LATERAL (
        SELECT s.id, s.status, s.valid_from FROM organisation_dspt s
         WHERE s.organisation_id = d.recipient_id AND s.valid_from <= ${LONDON_DAY('d.occurred_at')}
           AND (s.valid_to IS NULL OR s.valid_to >= ${LONDON_DAY('d.occurred_at')})
         ORDER BY s.valid_from DESC, s.id DESC LIMIT 1) ds ON true`
const DSPT_ASSURED = `ARRAY['standards_met', 'standards_exceeded']`

const query: RuleQuery = {
  violations: (p) => sql`
    SELECT 'disclosure:' || d.id AS subject_key, d.practice_id,
           'recipient:' || d.recipient_id AS case_key, d.occurred_at AS subject_at,
           format('Data about patient %s was disclosed to %s on %s, when %s. %s',
                  d.patient_pseudonym, o.name, ${new Sql(SAY_DAY('d.occurred_at'), [])},
                  CASE WHEN ds.id IS NULL THEN 'no Data Security and Protection Toolkit status was recorded for it that day'
                       ELSE format('its Data Security and Protection Toolkit status was “%s” (recorded from %s), not “standards met”',
                                   ${new Sql(DSPT_WORDS('ds.status'), [])}, to_char(ds.valid_from, 'FMDD Mon YYYY')) END,
                  ${new Sql(QUOTE, [])}) AS summary,
           ${new Sql(
             evidence(
               DISCLOSURE_EVIDENCE,
               RECIPIENT_EVIDENCE,
               `CASE WHEN ds.id IS NOT NULL THEN jsonb_build_object('type', 'dspt', 'id', ds.id, 'status', ds.status) END`,
               NOTICE_EVIDENCE,
             ),
             [],
           )} AS evidence
      FROM (WITH ${new Sql(NOTICE_SPANS_CTE, [])}
            SELECT d.*, n.id AS notice_id FROM disclosures d
              ${new Sql(NOTICE_IN_FORCE, [])}
              ${new Sql(MAKES_PROMISE('safe_systems'), [])}
             WHERE ${disclosureScope(p)}) d
      JOIN organisations o ON o.id = d.recipient_id AND o.recipient_type <> 'patient_representative'
      JOIN privacy_notices n ON n.id = d.notice_id
      ${new Sql(MAKES_PROMISE('safe_systems'), [])}
      ${new Sql(DSPT_ON_DAY, [])}
     WHERE ds.id IS NULL OR NOT ds.status = ANY(${new Sql(DSPT_ASSURED, [])})`,
  resolution: () =>
    new Sql(
      `SELECT CASE
          WHEN d.id IS NULL THEN ${GONE}
          WHEN ds.status = ANY(${DSPT_ASSURED}) THEN format('The organisation register now records %s as “%s” on %s.', o.name, ${DSPT_WORDS('ds.status')}, ${SAY_DAY('d.occurred_at')})
          WHEN o.recipient_type = 'patient_representative' THEN 'The recipient is now recorded as the patient or their representative.'
          ELSE ${NO_LONGER_PROMISED}
        END AS reason
        ${FINDING_DISCLOSURE}
        ${DSPT_ON_DAY}
        ${NOTICE_NOW('safe_systems')}`,
      [],
    ),
}

export const recipientUnassured = defineRule({
  id: 'recipient_unassured',
  severity: 'medium',
  title: 'Recipient without assured safe systems',
  explanation:
    'Data was disclosed to an organisation whose Data Security and Protection Toolkit status, as the organisation register records it for that day, was not “standards met” (or exceeded), or was not recorded at all. Only practices whose notice promises safe systems are checked, and each finding quotes the promise in the notice’s own words, such as: “Information is only shared with organisations that have the necessary safe an secure systems and processes that ensure confidential information is protected.” Disclosures to the patient or their representative are not checked. Caldicott principle 5: everyone understands their responsibilities.',
  subject: 'disclosure',
  version: 1,
  incremental: true,
  dependsOn: { notices: true, dspt: true },
  query,
})
