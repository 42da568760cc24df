// The catalogue of disclosure roll-ups: which table holds which dimensions at which time grain.
// Migrations create and maintain the tables (20261123090300 the daily cube, 20261123130000 the
// narrow ones); db/queries/rollup-source.ts picks the smallest table that can answer a query.
// Changing a narrow roll-up here needs a new migration that rebuilds it.

export type RollupDimension = 'purpose' | 'recipient_id' | 'recipient_type' | 'legal_basis' | 'data_level'

export interface RollupColumn {
  column: RollupDimension
  type: 'text' | 'integer'
  /** How the trigger computes it from a disclosures row `r` (and its recipient `o`). */
  expr: string
}

export interface RollupTable {
  table: string
  grain: 'day' | 'month'
  dims: RollupColumn[]
  comment: string
}

const PURPOSE: RollupColumn = { column: 'purpose', type: 'text', expr: 'r.purpose' }
const RECIPIENT: RollupColumn = { column: 'recipient_id', type: 'integer', expr: 'r.recipient_id' }
const RECIPIENT_TYPE: RollupColumn = { column: 'recipient_type', type: 'text', expr: 'o.recipient_type' }
const LEGAL_BASIS: RollupColumn = { column: 'legal_basis', type: 'text', expr: "coalesce(r.legal_basis, '')" }
const DATA_LEVEL: RollupColumn = { column: 'data_level', type: 'text', expr: 'r.data_level' }

export type NarrowRollup = RollupTable

/** Kept by disclosure_rollups_apply(); a few rows per practice and day or month. */
export const NARROW_ROLLUPS: NarrowRollup[] = [
  { table: 'disclosure_day_totals', grain: 'day', dims: [], comment: 'disclosures per practice and London day: trends and totals' },
  { table: 'disclosure_month_purpose', grain: 'month', dims: [PURPOSE], comment: 'disclosures per practice, month and purpose' },
  { table: 'disclosure_month_recipient', grain: 'month', dims: [RECIPIENT], comment: 'disclosures per practice, month and recipient' },
  {
    table: 'disclosure_month_purpose_recipient_type',
    grain: 'month',
    dims: [PURPOSE, RECIPIENT_TYPE],
    comment: 'disclosures per practice, month, purpose and recipient type (follows corrections of an organisation type)',
  },
  { table: 'disclosure_month_legal_basis', grain: 'month', dims: [LEGAL_BASIS], comment: "disclosures per practice, month and legal basis ('' for none)" },
  { table: 'disclosure_month_data_level', grain: 'month', dims: [DATA_LEVEL], comment: 'disclosures per practice, month and data level' },
]

/** The six-dimension daily cube (disclosure_daily_apply()): answers anything, at any day range. */
export const DAILY_CUBE: RollupTable = {
  table: 'disclosure_daily',
  grain: 'day',
  dims: [PURPOSE, RECIPIENT, LEGAL_BASIS, DATA_LEVEL],
  comment: 'disclosures per practice, day, purpose, recipient, legal basis and data level',
}
