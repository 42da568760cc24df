/** Patients' recorded choices: national data opt-outs, Type 1 opt-outs and record-sharing dissent. */
import { between, type Random } from '../random.js'
import { DAY, HOUR, SECOND, YEAR } from './options.js'
import {
  DISSENT_THROUGHOUT,
  HAS_DISSENT,
  HAS_OPT_OUT,
  NDOP_THROUGHOUT,
  TYPE1_THROUGHOUT,
  type PracticeRecords,
} from './practice-records.js'

/**
 * NDOP ~3-5% of patients, Type 1 ~2-3%, record-sharing dissent ~1-2%, most recorded before
 * the period; a few opt-outs are withdrawn later. Flags say who may appear in which sharing.
 */
export function simulateChoices(practice: PracticeRecords, random: Random) {
  const ndopRate = 0.03 + 0.02 * random()
  const type1Rate = 0.02 + 0.01 * random()
  const dissentRate = 0.01 + 0.01 * random()
  const sharingConsentRate = 0.05 + 0.05 * random()
  const choiceTime = () =>
    random() < 0.12
      ? practice.timeOn(random, practice.anyDay(random))
      : practice.window.start - Math.floor((random() * 3 * YEAR) / SECOND) * SECOND - HOUR

  const optOut = (patient: number, kind: 'ndop' | 'type1', throughoutFlag: number) => {
    const readCoded = kind === 'type1' && random() < 0.2
    const at = choiceTime()
    practice.addConsent(random, at, { kind, entry: 'opt_out', readCoded, status: 'active' }, patient)
    let withdrawn = false
    if (random() < 0.08) {
      const withdrawal = at + between(random, 30, 700) * DAY
      if (withdrawal <= practice.window.end - DAY) {
        practice.addConsent(random, withdrawal, { kind, entry: 'withdrawal', readCoded, status: 'inactive' }, patient)
        withdrawn = true
      }
    }
    practice.flags[patient]! |= HAS_OPT_OUT | (at < practice.window.start && !withdrawn ? throughoutFlag : 0)
  }

  for (let patient = 0; patient < practice.patients.length; patient++) {
    if (random() < ndopRate) optOut(patient, 'ndop', NDOP_THROUGHOUT)
    if (random() < type1Rate) optOut(patient, 'type1', TYPE1_THROUGHOUT)
    if (random() < dissentRate) {
      const at = choiceTime()
      if (random() < 0.5) practice.sharingChoice(random, patient, 'sharing_consent', at - between(random, 30, 900) * DAY)
      practice.sharingChoice(random, patient, 'opt_out', at)
      let reconsented = false
      if (random() < 0.15) {
        const consentAgain = at + between(random, 30, 700) * DAY
        if (consentAgain <= practice.window.end - DAY) {
          practice.sharingChoice(random, patient, 'sharing_consent', consentAgain)
          reconsented = true
        }
      }
      practice.flags[patient]! |= HAS_DISSENT | (at < practice.window.start && !reconsented ? DISSENT_THROUGHOUT : 0)
    } else if (random() < sharingConsentRate) {
      practice.sharingChoice(random, patient, 'sharing_consent', practice.window.start - between(random, 30, 3 * 365) * DAY)
    }
  }
}
