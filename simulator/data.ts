import { randomStream } from './random.js'
import { simulateChoices } from './dataset/choices.js'
import { everydaySharing } from './dataset/everyday.js'
import { publishedNdopCount } from './dataset/ndop-publication.js'
import { countOptOuts } from './dataset/opt-outs.js'
import { resolveDatasetOptions, windowOf, type DatasetOptions } from './dataset/options.js'
import { plantSpecialRecords } from './dataset/planted.js'
import { PracticeRecords } from './dataset/practice-records.js'
import { ndopMismatchIndex, practiceProfile } from './dataset/practices.js'
import type { Dataset, PracticeData } from './dataset/types.js'

/**
 * The simulated practices' data: a pure function of the options (no clock, no Math.random), so
 * the same options give byte-identical resources. Besides everyday sharing it plants a few
 * rule violations, near misses and malformed records, and lists them so tests know what a
 * collector and the compliance rules should find.
 *
 * generateDataset holds every practice in memory: fine for the demo and tests. For large runs
 * (150 practices x 2 years) generate one practice at a time with generatePractice.
 *
 * This file is the simulator's data API; the work is in dataset/ (one file per kind of record).
 */

/** One practice's records, generated on their own (memory stays at one practice's worth). */
export function generatePractice(options: DatasetOptions, index: number): PracticeData {
  const o = resolveDatasetOptions(options)
  if (!Number.isInteger(index) || index < 0 || index >= o.practices)
    throw new RangeError(`practice index ${index} is outside 0 to ${o.practices - 1}.`)
  const practice = new PracticeRecords(o, index, practiceProfile(o, index))
  simulateChoices(practice, randomStream(o.seed, `choices:${index}`))
  plantSpecialRecords(practice, randomStream(o.seed, `special:${index}`))
  everydaySharing(practice, randomStream(o.seed, `sharing:${index}`))
  return practice.finish()
}

export function generateDataset(options: DatasetOptions = {}): Dataset {
  const o = resolveDatasetOptions(options)
  const practices = Array.from({ length: o.practices }, (_, i) => generatePractice(o, i))
  const mismatched = practices[ndopMismatchIndex(o)]!
  const asOfEnd = windowOf(o).end
  const recorded = countOptOuts(mismatched.consents, 'ndop', asOfEnd)
  return {
    options: o,
    practices,
    planted: [
      ...practices.flatMap((p) => p.planted),
      {
        rule: 'ndop_count_mismatch',
        practice: mismatched.practice.odsCode,
        resourceType: null,
        resourceId: null,
        occurredAt: null,
        description: `NDOP publication (ACH_DATE ${o.endDate}) reports ${publishedNdopCount(recorded)} opt-outs; the practice system records ${recorded}`,
      },
    ],
    nearMisses: practices.flatMap((p) => p.nearMisses),
    malformed: practices.flatMap((p) => p.malformed),
  }
}

export { MAX_PRACTICES, resolveDatasetOptions, type DatasetOptions, type ResolvedDatasetOptions } from './dataset/options.js'
export type {
  Dataset,
  MalformedProblem,
  MalformedRecord,
  NearMiss,
  PlantedViolation,
  PracticeData,
  PracticeProfile,
  RuleId,
} from './dataset/types.js'
export { practiceProfiles } from './dataset/practices.js'
export { countOptOuts } from './dataset/opt-outs.js'
export { NDOP_COLUMNS, ndopCsv } from './dataset/ndop-publication.js'
export { demoAgreements, demoDsptRegister, type DemoAgreement, type DemoDsptStatus } from './dataset/demo-register.js'
export { noticeFileFor } from './notices.js'
