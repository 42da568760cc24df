/** The simulated practices' identities (name, town, list size) and their patients' NHS numbers. */
import { ICB, PLACES, PRACTICE_KINDS, PRACTICE_STREETS, type Place } from '../catalogue/places.js'
import { between, hashString, pick, randomStream } from '../random.js'
import { resolveDatasetOptions, type DatasetOptions, type ResolvedDatasetOptions } from './options.js'
import type { PracticeProfile } from './types.js'

// ---- Practices ---------------------------------------------------------------------------

const NAME_COMBINATIONS = PRACTICE_STREETS.length * PRACTICE_KINDS.length

function placeIndexOf(index: number): number {
  // Shifts by one town per round of names, so no two practices share both name and town.
  return (index + Math.floor(index / NAME_COMBINATIONS)) % PLACES.length
}

/** The practices' identities: cheap, no records generated. */
export function practiceProfiles(options: DatasetOptions = {}): PracticeProfile[] {
  const o = resolveDatasetOptions(options)
  return Array.from({ length: o.practices }, (_, index) => practiceProfile(o, index))
}

export function practiceProfile(o: ResolvedDatasetOptions, index: number): PracticeProfile {
  const random = randomStream(o.seed, `practice:${index}`)
  const at = PLACES[placeIndexOf(index)]!
  const combination = index % NAME_COMBINATIONS
  const street = PRACTICE_STREETS[combination % PRACTICE_STREETS.length]!
  const kindOfPractice =
    PRACTICE_KINDS[((combination % PRACTICE_STREETS.length) + Math.floor(combination / PRACTICE_STREETS.length)) % PRACTICE_KINDS.length]!
  const name = index < NAME_COMBINATIONS ? `${street} ${kindOfPractice}` : `${street} ${kindOfPractice} (${at.town})`
  const inwardLetters = 'ABDEFGHJLNPQRSTUWXYZ'
  return {
    odsCode: `A${81001 + index}`,
    name,
    town: at.town,
    postcode: `${at.postcodeDistrict} ${between(random, 1, 9)}${pick(random, [...inwardLetters])}${pick(random, [...inwardLetters])}`,
    listSize: between(random, 6000, 14000),
    icbCode: ICB.code,
    icbName: ICB.name,
    icbOnsCode: ICB.onsCode,
    subIcbCode: at.subIcb.code,
    subIcbOnsCode: at.subIcb.onsCode,
    subIcbName: at.subIcb.name,
    regionCode: ICB.regionCode,
    regionOnsCode: ICB.regionOnsCode,
    regionName: ICB.regionName,
  }
}

export function placeOf(profile: PracticeProfile): { place: Place; placeIndex: number } {
  const placeIndex = PLACES.findIndex((p) => p.town === profile.town)
  if (placeIndex < 0) throw new Error(`no simulated town named ${profile.town}`)
  return { place: PLACES[placeIndex]!, placeIndex }
}

/** The one practice whose NDOP publication figure is planted to disagree with its own records. */
export function ndopMismatchIndex(o: ResolvedDatasetOptions): number {
  return hashString(`${o.seed}:ndop-mismatch`) % o.practices
}

// ---- NHS numbers ---------------------------------------------------------------------------

function nhsCheckDigit(nineDigits: number): number {
  let sum = 0
  let rest = nineDigits
  for (let weight = 2; weight <= 10; weight++) {
    sum += (rest % 10) * weight
    rest = Math.floor(rest / 10)
  }
  const check = 11 - (sum % 11)
  return check === 11 ? 0 : check
}

const SERIALS_PER_PRACTICE = 20_000

/**
 * Valid NHS numbers starting with 9 (a range never issued to real patients), unique across
 * practices: serials map one-to-one onto 8 digits (40503 is coprime with 10^8), and a serial
 * whose check digit would be 10 (no valid number) is skipped.
 */
export function nhsNumbers(seed: number, practiceIndex: number, count: number): string[] {
  const offset = hashString(`${seed}:nhs-numbers`) % 100_000_000
  const numbers: string[] = []
  for (let k = 0; numbers.length < count; k++) {
    const serial = practiceIndex * SERIALS_PER_PRACTICE + k
    const body = 900_000_000 + ((serial * 40503 + offset) % 100_000_000)
    const check = nhsCheckDigit(body)
    if (check !== 10) numbers.push(`${body}${check}`)
  }
  return numbers
}
