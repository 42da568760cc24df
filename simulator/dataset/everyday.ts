/** One practice's everyday sharing: weighted kinds of disclosure, busier on weekdays. */
import { PURPOSE_OF_USE, type Purpose } from '../catalogue/codes.js'
import { DISCLOSURE_KINDS, type DisclosureKind } from '../catalogue/disclosure-kinds.js'
import { weightedPicker, type Random } from '../random.js'
import { HAS_DISSENT, HAS_OPT_OUT, type PracticeRecords } from './practice-records.js'

export function everydaySharing(practice: PracticeRecords, random: Random) {
  const pools = {
    clean: practice.patientsWhere((f) => (f & (HAS_OPT_OUT | HAS_DISSENT)) === 0),
    no_dissent: practice.patientsWhere((f) => (f & HAS_DISSENT) === 0),
    any: practice.patientsWhere(() => true),
  }
  // Everyday sharing stays within the practice's own notice: only planted records go outside it.
  const kinds = DISCLOSURE_KINDS.filter((k) =>
    practice.kindRecipients.get(k)!.every((r) => kindPurposes(k).every((purpose) => !practice.outside(purpose, r))),
  )
  const pickKind = weightedPicker(kinds, (k) => k.weight)
  const { days, eventsPerPracticePerDay } = practice.options
  for (let day = 0; day < days; day++) {
    const weekday = new Date(practice.dayStart(day)).getUTCDay()
    // Weekdays 1.3x and weekends 0.25x the mean, so a week averages the mean.
    const busy = weekday === 0 || weekday === 6 ? 0.25 : 1.3
    const count = Math.round(eventsPerPracticePerDay * busy * (0.8 + 0.4 * random()))
    for (let i = 0; i < count; i++) {
      const kind = pickKind(random)
      const pool = pools[kind.patients]
      // Squaring skews towards some patients: people with long-term conditions are shared about often.
      const u = random()
      const patient = pool[Math.floor(u * u * pool.length)]!
      practice.addEvent(random, practice.timeOn(random, day, kind.overnight), practice.disclosure(random, kind, patient), true)
    }
  }
}

/** The local purposes a kind's records are stored under (the local code wins when sent). */
function kindPurposes(kind: DisclosureKind): Purpose[] {
  return kind.localPurposeCoding ? [kind.purpose] : [...new Set(kind.purposeCodes.map((c) => PURPOSE_OF_USE[c]!))]
}
