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

const REQUIRED = `ARRAY['legal', 'safeguarding', 'public_health', 'subject_access']`
/** Why `d` (with recipient `o`) is outside notice `n`: 'purpose', 'recipient_type', 'processor' or null. Mirrors outsideNotice in core/promises.ts. */
const OUTSIDE = `CASE
      WHEN d.purpose = ANY(${REQUIRED}) THEN NULL
      WHEN n.purposes IS NOT NULL AND NOT n.purposes @> to_jsonb(d.purpose)
           AND NOT (d.purpose = 'emergency_care' AND n.purposes @> '"direct_care"'::jsonb) THEN 'purpose'
      WHEN o.recipient_type = 'patient_representative' THEN NULL
      WHEN n.recipient_types IS NOT NULL AND NOT n.recipient_types @> to_jsonb(o.recipient_type) THEN 'recipient_type'
      WHEN o.recipient_type = 'data_processor' AND n.processors IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(n.processors) e
                            WHERE upper(e->>'ods') = o.ods_code OR lower(e->>'name') = lower(o.name)) THEN 'processor'
    END`

const query: RuleQuery = {
  violations: (p) => sql`
    SELECT 'disclosure:' || d.id AS subject_key, d.practice_id,
           'recipient:' || d.recipient_id || ':' || d.purpose AS case_key, d.occurred_at AS subject_at,
           format('Data about patient %s was disclosed to %s on %s for %s, %s. %s',
                  d.patient_pseudonym, o.name, ${new Sql(SAY_DAY('d.occurred_at'), [])}, ${new Sql(SAY_PURPOSE('d.purpose'), [])},
                  CASE d.why WHEN 'purpose' THEN format('a purpose the notice in force that day does not list')
                             WHEN 'recipient_type' THEN format('and %s is a kind of organisation (%s) the notice in force that day does not list', o.name, rt.label)
                             ELSE format('and %s is a data processor the notice in force that day does not name', o.name) END,
                  ${new Sql(QUOTE, [])}) AS summary,
           ${new Sql(evidence(DISCLOSURE_EVIDENCE, RECIPIENT_EVIDENCE, NOTICE_EVIDENCE), [])} AS evidence
      FROM (WITH ${new Sql(NOTICE_SPANS_CTE, [])}
            SELECT d.*, n.id AS notice_id, ${new Sql(OUTSIDE, [])} AS why
              FROM disclosures d
              JOIN organisations o ON o.id = d.recipient_id
              ${new Sql(NOTICE_IN_FORCE, [])}
              ${new Sql(MAKES_PROMISE('only_as_listed'), [])}
             WHERE ${disclosureScope(p)}) d
      JOIN organisations o ON o.id = d.recipient_id
      JOIN recipient_types rt ON rt.code = o.recipient_type
      JOIN privacy_notices n ON n.id = d.notice_id
      ${new Sql(MAKES_PROMISE('only_as_listed'), [])}
     WHERE d.why IS NOT NULL`,
  resolution: () =>
    new Sql(
      `SELECT CASE
          WHEN d.id IS NULL THEN ${GONE}
          WHEN nn.id IS NOT NULL AND nn.promised THEN format('The notice in force on %s (version %s) covers this disclosure.', ${SAY_DAY('d.occurred_at')}, nn.version)
          ELSE ${NO_LONGER_PROMISED}
        END AS reason
        ${FINDING_DISCLOSURE}
        ${NOTICE_NOW('only_as_listed')}`,
      [],
    ),
}

export const outsideNotice = defineRule({
  id: 'outside_notice',
  severity: 'medium',
  title: 'Sharing the notice does not tell patients about',
  explanation:
    'Data was disclosed for a purpose, or to a kind of organisation, that the practice’s privacy notice in force that day does not list, or to a data processor it does not name. Patients are told what their information is used for and who receives it only through the notice, so sharing outside it is sharing they were never told about (Caldicott principle 8: inform patients and service users about how their confidential information is used). Sharing the law requires or the patient asks for (a court order, safeguarding, notifiable disease, a subject access request) is not checked, and a notice that lists direct care covers urgent care too. Each finding quotes the notice’s own words that introduce its list.',
  subject: 'disclosure',
  version: 1,
  incremental: true,
  dependsOn: { notices: true },
  query,
})
