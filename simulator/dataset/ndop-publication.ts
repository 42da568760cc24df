/** NHS England's NDOP publication for the simulated practices, one figure planted to disagree. */
import { DAY } from './options.js'
import { countOptOuts } from './opt-outs.js'
import { ndopMismatchIndex, practiceProfile } from './practices.js'
import type { Dataset } from './types.js'

/** The publication's figure for the mismatched practice: over 10% above the practice's own. */
export function publishedNdopCount(recorded: number): number {
  return Math.ceil(recorded * 1.2) + 5
}

export const NDOP_COLUMNS = [
  'ACH_DATE',
  'GP_PRACTICE',
  'POSTCODE',
  'PRACTICE_NAME',
  'SUB_ICB_LOCATION_CODE',
  'ONS_SUB_ICB_LOCATION_CODE',
  'SUB_ICB_LOCATION_NAME',
  'ONS_ICB_CODE',
  'ICB_CODE',
  'ICB_NAME',
  'COMM_REGION_CODE',
  'ONS_COMM_REGION_CODE',
  'COMM_REGION_NAME',
  'OPT_OUT',
  'LIST_SIZE',
] as const

const csvField = (value: string | number) => {
  const text = String(value)
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/**
 * The NDOP_reg_geog_<Mon_YYYY>.csv rows for the simulated practices: OPT_OUT is the number of
 * patients whose NDOP opt-out is in force at the end of achDate, except for the one practice
 * whose figure is planted to disagree (see Dataset.planted, rule ndop_count_mismatch).
 */
export function ndopCsv(dataset: Pick<Dataset, 'options' | 'practices'>, { achDate }: { achDate: string }): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(achDate) || Number.isNaN(Date.parse(`${achDate}T00:00:00Z`))) {
    throw new RangeError(`achDate must be a date as YYYY-MM-DD, not ${achDate}.`)
  }
  const asOf = Date.parse(`${achDate}T00:00:00Z`) + DAY - 1
  const [year, month, day] = achDate.split('-')
  const mismatchOds = practiceProfile(dataset.options, ndopMismatchIndex(dataset.options)).odsCode
  const rows = dataset.practices.map(({ practice: p, consents }) => {
    const recorded = countOptOuts(consents, 'ndop', asOf)
    const optOuts = p.odsCode === mismatchOds ? publishedNdopCount(recorded) : recorded
    return [
      `${day}/${month}/${year}`,
      p.odsCode,
      p.postcode,
      p.name,
      p.subIcbCode,
      p.subIcbOnsCode,
      p.subIcbName,
      p.icbOnsCode,
      p.icbCode,
      p.icbName,
      p.regionCode,
      p.regionOnsCode,
      p.regionName,
      optOuts,
      p.listSize,
    ]
  })
  return [NDOP_COLUMNS, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n'
}
