import { LONDON_DAY, SAY_DAY } from './fragments.js'

// Fragments of the rules for the promises of the practice's own notice (issue 20, docs/decisions/018).

/**
 * Each notice version with the first day of the next one (`until`, exclusive): a handful of
 * rows, hashed once. Two versions from the same day: the later version wins (the earlier one's
 * span is empty).
 */
export const NOTICE_SPANS_CTE = `notice_spans AS MATERIALIZED (
      SELECT n.id, n.practice_id, n.version, n.in_force_from, n.purposes, n.recipient_types, n.processors,
             lead(n.in_force_from) OVER (PARTITION BY n.practice_id ORDER BY n.in_force_from, n.version) AS until
        FROM privacy_notices n)`
/** The notice in force on the disclosure's day (in England), joined as `n`. */
export const NOTICE_IN_FORCE = `JOIN notice_spans n ON n.practice_id = d.practice_id
       AND n.in_force_from <= ${LONDON_DAY('d.occurred_at')}
       AND (n.until IS NULL OR n.until > ${LONDON_DAY('d.occurred_at')})`
/** ...and the promise `code` it makes, joined as `np` (the code is a constant of the rule's file). */
export const MAKES_PROMISE = (code: string) => `JOIN notice_promises np ON np.notice_id = n.id AND np.promise = '${code}'`
export const NOTICE_EVIDENCE = `jsonb_build_object('type', 'notice', 'id', n.id, 'version', n.version, 'promise', np.promise)`
export const QUOTE = `format('The practice''s privacy notice (version %s) promises: “%s”', n.version, np.words)`
/** In the resolution: the notice now in force that day, and whether it still makes the promise. */
export const NOTICE_NOW = (code: string) => `LEFT JOIN LATERAL (
          SELECT n.id, n.version, EXISTS (SELECT 1 FROM notice_promises np WHERE np.notice_id = n.id AND np.promise = '${code}') AS promised
            FROM privacy_notices n
           WHERE n.practice_id = d.practice_id AND n.in_force_from <= ${LONDON_DAY('d.occurred_at')}
           ORDER BY n.in_force_from DESC, n.version DESC LIMIT 1) nn ON true`
export const NO_LONGER_PROMISED = `format('The practice''s notice in force on %s (%s) does not make this promise.', ${SAY_DAY('d.occurred_at')},
                   CASE WHEN nn.id IS NULL THEN 'none recorded' ELSE 'version ' || nn.version END)`
