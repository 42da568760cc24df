import { Sql, sql } from '../../../db/sql.js'
import {
  SAY_DAY,
  SAY_TIME,
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
           format('Patient %s''s record was shared with %s for direct care on %s while their dissent from record sharing (recorded %s) was in force, and no override was recorded.',
                  d.patient_pseudonym, o.name, ${new Sql(SAY_DAY('d.occurred_at'), [])}, ${new Sql(SAY_DAY('rs.effective_at'), [])}) AS summary,
           ${new Sql(
             evidence(
               DISCLOSURE_EVIDENCE,
               `jsonb_build_object('type', 'patient_choice', 'id', rs.id, 'kind', 'record_sharing')`,
               RECIPIENT_EVIDENCE,
             ),
             [],
           )} AS evidence
      FROM disclosures d
      JOIN practices pr ON pr.id = d.practice_id
      JOIN organisations o ON o.id = d.recipient_id
      ${new Sql(choiceInForce('rs', 'record_sharing'), [])}
     WHERE d.purpose = 'direct_care'
       AND ${new Sql(HAS_DENIAL(`'record_sharing'`), [])}
       AND ${new Sql(IN_FORCE('rs'), [])}
       AND o.recipient_type <> 'patient_representative'
       AND o.ods_code IS DISTINCT FROM pr.ods_code
       AND NOT EXISTS (
             SELECT 1 FROM override_events ov
              WHERE ov.practice_id = d.practice_id AND ov.patient_pseudonym = d.patient_pseudonym
                AND ov.kind <> 'override_stopped'
                AND ov.occurred_at BETWEEN d.occurred_at - ${p.settings.dissentOverrideWindowHours}::int * interval '1 hour' AND d.occurred_at)
       AND NOT EXISTS (
             SELECT 1 FROM override_events ov
              WHERE ov.source_id = d.source_id AND ov.source_record_id = d.source_record_id || '#override')
       AND ${disclosureScope(p)}`,
  resolution: (p) => sql`
      SELECT CASE
          WHEN d.id IS NULL THEN ${new Sql(GONE, [])}
          WHEN ov.id IS NOT NULL THEN format('An override event for this patient is now recorded (%s, %s).', replace(ov.kind, '_', ' '), ${new Sql(SAY_TIME('ov.occurred_at'), [])})
          WHEN d.purpose <> 'direct_care' THEN format('The source corrected the disclosure: its purpose is now %s.', ${new Sql(SAY_PURPOSE('d.purpose'), [])})
          WHEN NOT coalesce(${new Sql(IN_FORCE('rs'), [])}, false) THEN format('The patient''s record-sharing choices changed: no dissent was in force on %s.', ${new Sql(SAY_DAY('d.occurred_at'), [])})
          ELSE 'The recipient is now recorded as the practice itself or the patient, which is not sharing out.'
        END AS reason
        ${new Sql(FINDING_DISCLOSURE, [])}
        ${new Sql(choiceInForce('rs', 'record_sharing'), [])}
        LEFT JOIN LATERAL (
          SELECT ov.id, ov.kind, ov.occurred_at FROM override_events ov
           WHERE ov.kind <> 'override_stopped'
             AND ((ov.practice_id = d.practice_id AND ov.patient_pseudonym = d.patient_pseudonym
                   AND ov.occurred_at BETWEEN d.occurred_at - ${p.settings.dissentOverrideWindowHours}::int * interval '1 hour' AND d.occurred_at)
               OR (ov.source_id = d.source_id AND ov.source_record_id = d.source_record_id || '#override'))
           ORDER BY ov.occurred_at DESC LIMIT 1) ov ON true`,
}

export const dissentDirectCare = defineRule({
  id: 'dissent_direct_care',
  severity: 'high',
  title: 'Record shared out despite the patient’s dissent',
  explanation:
    'The patient’s record was shared with another organisation for direct care while the patient had dissented from record sharing, and no override event (an emergency or professional-judgement override) was recorded for them at the practice in the hours before, or on the disclosure itself. The notice promises patients “you can opt out of this record sharing whenever you wish” and “you can decide what information is not to be shared”; Caldicott principle 7 makes sharing for care a duty, but against a recorded dissent it must be a justified and recorded override (principle 1: justify the purpose).',
  subject: 'disclosure',
  version: 1,
  incremental: true,
  dependsOn: { settings: ['dissentOverrideWindowHours'], choiceKinds: ['record_sharing'], overrides: true },
  query,
})
