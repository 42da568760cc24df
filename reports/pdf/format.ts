// Numbers, days and times are written by core/format.ts, the same for the pages and the reports.

/** The en dash used between period bounds. */
export const DASH = '\u2013'
