import type { AuditEvent, Consent } from 'fhir/r4'
import {
  DISCLOSURE_KINDS,
  ICB,
  NATIONAL,
  PLACES,
  PRACTICE_KINDS,
  PRACTICE_STREETS,
  PURPOSE_OF_USE,
  ROLES,
  STAFFING,
  UNAGREED,
  disclosureKind,
  recipientsFor,
  type DataLevel,
  type DisclosureKind,
  type Place,
  type PracticeRecipients,
  type Purpose,
  type Recipient,
  type RecipientType,
  type StaffRole,
} from './catalogue.js'
import {
  practiceResourceBuilder,
  type AuditEventInput,
  type ConsentInput,
  type DisclosureInput,
  type RecordTimes,
  type StaffMember,
} from './fhir.js'
import { between, hashString, pick, randomStream, weightedPicker, type Random } from './random.js'
import { CONSENT_ANSWERED_BASES, SECONDARY_PURPOSES, outsideNotice, type NoticeLists, type PromiseCode } from '../core/promises.js'
import type { NoticeFile } from '../jobs/import-notice.js'
import { noticeFileFor } from './notices.js'

/**
 * The simulated practices' data: a pure function of the options (no clock, no Math.random), so
 * the same options give byte-identical resources. Besides everyday sharing it plants a few
 * rule violations, near misses and malformed records, and lists them so tests know what a
 * collector and the compliance rules should find.
 *
 * generateDataset holds every practice in memory: fine for the demo and tests. For large runs
 * (150 practices x 2 years) generate one practice at a time with generatePractice.
 */

export interface DatasetOptions {
  /** How many practices (1 to 500). Default 3. */
  practices?: number
  /** Days of activity, ending with endDate. Default 90. */
  days?: number
  seed?: number
  /** The last simulated day, YYYY-MM-DD. Default 2026-11-01: fixed so the data never depends on today. */
  endDate?: string
  /** Average everyday disclosures per practice per day (weekdays busier than weekends). Default 40. */
  eventsPerPracticePerDay?: number
}
export type ResolvedDatasetOptions = Required<DatasetOptions>

export const MAX_PRACTICES = 500
const DEFAULTS: ResolvedDatasetOptions = { practices: 3, days: 90, seed: 1, endDate: '2026-11-01', eventsPerPracticePerDay: 40 }

export type RuleId =
  | 'optout_disclosure'
  | 'prohibited_purpose'
  | 'no_agreement'
  | 'excess_identifiable'
  | 'dissent_direct_care'
  | 'unreviewed_override'
  | 'ndop_count_mismatch'
  | 'secondary_without_consent'
  | 'recipient_unassured'
  | 'outside_notice'

/** A record the compliance rule `rule` should flag. */
export interface PlantedViolation {
  rule: RuleId
  practice: string
  /** Null for ndop_count_mismatch, which is about a practice's figures, not a record. */
  resourceType: 'AuditEvent' | null
  resourceId: string | null
  /** period.start of the event (the rule for overrides counts days from it). */
  occurredAt: string | null
  description: string
}

/** A record that looks like a violation of `rule` but is not one: the rule must stay quiet. */
export type NearMiss = PlantedViolation

export type MalformedProblem = 'unknown_purpose' | 'no_patient' | 'invalid_nhs_number' | 'r5_shape' | 'consent_not_in_force'

/** A record a collector must quarantine, and why. */
export interface MalformedRecord {
  practice: string
  resourceType: 'AuditEvent' | 'Consent'
  resourceId: string
  problem: MalformedProblem
  reason: string
}

export interface PracticeProfile {
  odsCode: string
  name: string
  town: string
  postcode: string
  listSize: number
  icbCode: string
  icbName: string
  icbOnsCode: string
  subIcbCode: string
  subIcbOnsCode: string
  subIcbName: string
  regionCode: string
  regionOnsCode: string
  regionName: string
}

export interface PracticeData {
  practice: PracticeProfile
  /** Sorted by meta.lastUpdated, which is unique within a practice. */
  auditEvents: AuditEvent[]
  /** Sorted by meta.lastUpdated, which is unique within a practice. */
  consents: Consent[]
  planted: PlantedViolation[]
  nearMisses: NearMiss[]
  malformed: MalformedRecord[]
  /** Patients whose opt-out of that kind is in force at the end of endDate. */
  optOuts: { ndop: number; type1: number }
}

export interface Dataset {
  options: ResolvedDatasetOptions
  practices: PracticeData[]
  planted: PlantedViolation[]
  nearMisses: NearMiss[]
  malformed: MalformedRecord[]
}

const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
const YEAR = 365 * DAY

export function resolveDatasetOptions(options: DatasetOptions = {}): ResolvedDatasetOptions {
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined))
  const o: ResolvedDatasetOptions = { ...DEFAULTS, ...given }
  if (!Number.isInteger(o.practices) || o.practices < 1 || o.practices > MAX_PRACTICES) {
    throw new RangeError(`practices must be a whole number from 1 to ${MAX_PRACTICES}, not ${o.practices}.`)
  }
  if (!Number.isInteger(o.days) || o.days < 1) throw new RangeError(`days must be a whole number of at least 1, not ${o.days}.`)
  if (!Number.isSafeInteger(o.seed)) throw new RangeError(`seed must be a whole number, not ${o.seed}.`)
  if (!/^\d{4}-\d{2}-\d{2}$/.test(o.endDate) || new Date(`${o.endDate}T00:00:00Z`).toISOString().slice(0, 10) !== o.endDate) {
    throw new RangeError(`endDate must be a date as YYYY-MM-DD, not ${o.endDate}.`)
  }
  if (!Number.isFinite(o.eventsPerPracticePerDay) || o.eventsPerPracticePerDay < 0) {
    throw new RangeError(`eventsPerPracticePerDay must be a number of at least 0, not ${o.eventsPerPracticePerDay}.`)
  }
  return o
}

/** First and last millisecond of the simulated period. */
function windowOf(o: ResolvedDatasetOptions): { start: number; end: number } {
  const end = Date.parse(`${o.endDate}T00:00:00Z`) + DAY - 1
  return { start: end + 1 - o.days * DAY, end }
}

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

function practiceProfile(o: ResolvedDatasetOptions, index: number): PracticeProfile {
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

function placeOf(profile: PracticeProfile): { place: Place; placeIndex: number } {
  const placeIndex = PLACES.findIndex((p) => p.town === profile.town)
  if (placeIndex < 0) throw new Error(`no simulated town named ${profile.town}`)
  return { place: PLACES[placeIndex]!, placeIndex }
}

/** The one practice whose NDOP publication figure is planted to disagree with its own records. */
function ndopMismatchIndex(o: ResolvedDatasetOptions): number {
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
function nhsNumbers(seed: number, practiceIndex: number, count: number): string[] {
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

// ---- Opt-out counts ----------------------------------------------------------------------

const OPT_OUT_KIND_BY_CODE: Readonly<Record<string, 'ndop' | 'type1'>> = { '370856009': 'ndop', '827241000000103': 'type1', '9Nu0': 'type1' }

/** Patients whose latest recorded choice of this kind, dated on or before `asOf`, is an opt-out in force. */
export function countOptOuts(consents: readonly Consent[], kind: 'ndop' | 'type1', asOf: number): number {
  const latest = new Map<string, { at: number; inForce: boolean }>()
  for (const consent of consents) {
    if (consent.status !== 'active' && consent.status !== 'inactive') continue
    const code = consent.category?.[0]?.coding?.[0]?.code
    if (!code || OPT_OUT_KIND_BY_CODE[code] !== kind) continue
    const at = Date.parse(consent.dateTime!)
    if (at > asOf) continue
    const patient = consent.patient!.identifier!.value!
    const seen = latest.get(patient)
    if (!seen || seen.at <= at) latest.set(patient, { at, inForce: consent.status === 'active' && consent.provision?.type === 'deny' })
  }
  let count = 0
  for (const { inForce } of latest.values()) if (inForce) count++
  return count
}

// ---- One practice --------------------------------------------------------------------------

// Per-patient facts that decide which disclosures may name them without breaking a rule.
const HAS_OPT_OUT = 1 // any NDOP or Type 1 record, ever
const HAS_DISSENT = 2 // any record-sharing dissent (9Nd1), ever
const NDOP_THROUGHOUT = 4 // NDOP opt-out from before the period, never withdrawn
const TYPE1_THROUGHOUT = 8
const DISSENT_THROUGHOUT = 16

interface EventDraft {
  times: RecordTimes
  input: AuditEventInput
}
interface ConsentDraft {
  times: RecordTimes
  input: ConsentInput
}
interface PendingLabel {
  list: 'planted' | 'nearMisses'
  rule: RuleId
  draft: EventDraft
  description: string
}
interface PendingMalformed {
  resourceType: 'AuditEvent' | 'Consent'
  draft: EventDraft | ConsentDraft
  problem: MalformedProblem
  reason: string
}

class PracticeGenerator {
  private readonly window: { start: number; end: number }
  private readonly patients: string[]
  private readonly flags: Uint8Array
  private readonly staffByRole = new Map<string, StaffMember[]>()
  private readonly recipients: PracticeRecipients
  private readonly kindRecipients = new Map<DisclosureKind, readonly Recipient[]>()
  private readonly events: EventDraft[] = []
  private readonly consents: ConsentDraft[] = []
  private readonly labels: PendingLabel[] = []
  private readonly malformed: PendingMalformed[] = []
  private readonly notice: NoticeFile
  private readonly noticeLists: NoticeLists
  private readonly pharmacyLapse: { from: string; to: string } | null

  constructor(
    private readonly options: ResolvedDatasetOptions,
    private readonly index: number,
    private readonly profile: PracticeProfile,
  ) {
    this.window = windowOf(options)
    this.patients = nhsNumbers(options.seed, index, profile.listSize)
    this.flags = new Uint8Array(profile.listSize)
    const { place, placeIndex } = placeOf(profile)
    this.recipients = recipientsFor(place, placeIndex)
    for (const kind of DISCLOSURE_KINDS) this.kindRecipients.set(kind, kind.recipients(this.recipients))
    this.notice = noticeFileFor(index).notice
    this.noticeLists = { purposes: this.notice.purposes ?? null, recipientTypes: this.notice.recipient_types ?? null, processors: this.notice.processors ?? null }
    this.pharmacyLapse = pharmacyLapseOf(options, placeIndex)
    const random = randomStream(options.seed, `staff:${index}`)
    let staffNumber = between(random, 100, 800)
    for (const [role, count] of STAFFING) {
      this.staffByRole.set(
        role.code,
        Array.from({ length: count }, () => ({ id: `staff-${staffNumber++}`, role })),
      )
    }
  }

  generate(): PracticeData {
    const { seed } = this.options
    this.simulateChoices(randomStream(seed, `choices:${this.index}`))
    this.plantSpecialRecords(randomStream(seed, `special:${this.index}`))
    this.everydaySharing(randomStream(seed, `sharing:${this.index}`))
    return this.finish()
  }

  // -- time --

  private dayStart(day: number): number {
    return this.window.start + day * DAY
  }

  /** A moment on that day: office hours, or the small hours when extracts run. */
  private timeOn(random: Random, day: number, overnight = false): number {
    const seconds = overnight ? between(random, 3600, 4 * 3600) : between(random, 8 * 3600, 18 * 3600 + 1800)
    return this.dayStart(day) + seconds * SECOND
  }

  private anyDay(random: Random): number {
    return between(random, 0, this.options.days - 1)
  }

  // -- records --

  private addEvent(random: Random, at: number, input: AuditEventInput, mayBeCorrected = false): EventDraft {
    const recorded = at + between(random, 0, 5) * SECOND
    const prompt = recorded + between(random, 5, 600) * SECOND + between(random, 0, 999)
    // Some records reach the server late (a batch upload, a system outage).
    const late = random() < 0.03 ? prompt + between(random, 60, 4 * 24 * 60) * MINUTE : prompt
    const times: RecordTimes = { id: '', at, recorded, lastUpdated: late <= this.window.end ? late : prompt, versionId: '1' }
    // A few are corrected later: the server holds only the latest version.
    if (mayBeCorrected && random() < 0.005 && input.shape === 'disclosure') {
      const corrected = times.lastUpdated + between(random, 1, 10) * DAY
      if (corrected <= this.window.end) {
        times.lastUpdated = corrected
        times.versionId = '2'
        input.description = `${input.description} (amended)`
      }
    }
    const draft = { times, input }
    this.events.push(draft)
    return draft
  }

  private addConsent(random: Random, at: number, input: Omit<ConsentInput, 'nhsNumber'>, patient: number): ConsentDraft {
    const prompt = at + between(random, 1, 30) * MINUTE + between(random, 0, 999)
    const late = random() < 0.02 ? prompt + between(random, 60, 5 * 24 * 60) * MINUTE : prompt
    const lastUpdated = late <= this.window.end ? late : prompt
    const draft = { times: { id: '', at, recorded: at, lastUpdated, versionId: '1' }, input: { ...input, nhsNumber: this.patients[patient]! } }
    this.consents.push(draft)
    return draft
  }

  private staffWith(random: Random, role: StaffRole): StaffMember {
    return pick(random, this.staffByRole.get(role.code)!)
  }

  private disclosure(random: Random, kind: DisclosureKind, patient: number | null, changes: Partial<DisclosureInput> = {}): DisclosureInput {
    const statesBasis = kind.legalBasis !== null && (kind.legalBasisShare >= 1 || random() < kind.legalBasisShare)
    return {
      shape: 'disclosure',
      purposeCode: pick(random, kind.purposeCodes),
      localPurpose: kind.localPurposeCoding ? kind.purpose : null,
      overrideReason: null,
      legalBasis: statesBasis ? kind.legalBasis : null,
      recipient: pick(random, this.kindRecipients.get(kind)!),
      dataLevel: kind.dataLevel,
      description: pick(random, kind.descriptions),
      staff: this.staffWith(random, pick(random, kind.roles)),
      nhsNumber: patient === null ? null : this.patients[patient]!,
      action: kind.overnight ? 'E' : 'R',
      ...changes,
    }
  }

  private label(list: PendingLabel['list'], rule: RuleId, draft: EventDraft, description: string) {
    this.labels.push({ list, rule, draft, description })
  }

  // -- patients' choices --

  /**
   * NDOP ~3-5% of patients, Type 1 ~2-3%, record-sharing dissent ~1-2%, most recorded before
   * the period; a few opt-outs are withdrawn later. Flags say who may appear in which sharing.
   */
  private simulateChoices(random: Random) {
    const ndopRate = 0.03 + 0.02 * random()
    const type1Rate = 0.02 + 0.01 * random()
    const dissentRate = 0.01 + 0.01 * random()
    const sharingConsentRate = 0.05 + 0.05 * random()
    const choiceTime = () =>
      random() < 0.12 ? this.timeOn(random, this.anyDay(random)) : this.window.start - Math.floor(random() * 3 * YEAR / SECOND) * SECOND - HOUR

    const optOut = (patient: number, kind: 'ndop' | 'type1', throughoutFlag: number) => {
      const readCoded = kind === 'type1' && random() < 0.2
      const at = choiceTime()
      this.addConsent(random, at, { kind, entry: 'opt_out', readCoded, status: 'active' }, patient)
      let withdrawn = false
      if (random() < 0.08) {
        const withdrawal = at + between(random, 30, 700) * DAY
        if (withdrawal <= this.window.end - DAY) {
          this.addConsent(random, withdrawal, { kind, entry: 'withdrawal', readCoded, status: 'inactive' }, patient)
          withdrawn = true
        }
      }
      this.flags[patient]! |= HAS_OPT_OUT | (at < this.window.start && !withdrawn ? throughoutFlag : 0)
    }

    for (let patient = 0; patient < this.patients.length; patient++) {
      if (random() < ndopRate) optOut(patient, 'ndop', NDOP_THROUGHOUT)
      if (random() < type1Rate) optOut(patient, 'type1', TYPE1_THROUGHOUT)
      if (random() < dissentRate) {
        const at = choiceTime()
        if (random() < 0.5) this.sharingChoice(random, patient, 'sharing_consent', at - between(random, 30, 900) * DAY)
        this.sharingChoice(random, patient, 'opt_out', at)
        let reconsented = false
        if (random() < 0.15) {
          const consentAgain = at + between(random, 30, 700) * DAY
          if (consentAgain <= this.window.end - DAY) {
            this.sharingChoice(random, patient, 'sharing_consent', consentAgain)
            reconsented = true
          }
        }
        this.flags[patient]! |= HAS_DISSENT | (at < this.window.start && !reconsented ? DISSENT_THROUGHOUT : 0)
      } else if (random() < sharingConsentRate) {
        this.sharingChoice(random, patient, 'sharing_consent', this.window.start - between(random, 30, 3 * 365) * DAY)
      }
    }
  }

  private sharingChoice(random: Random, patient: number, entry: 'opt_out' | 'sharing_consent', at: number) {
    return this.addConsent(random, at, { kind: 'record_sharing', entry, readCoded: true, status: 'active' }, patient)
  }

  private patientsWhere(test: (flags: number) => boolean): number[] {
    const found: number[] = []
    for (let i = 0; i < this.flags.length; i++) if (test(this.flags[i]!)) found.push(i)
    return found
  }

  /** A random patient from the list, removed so no two special records share one. */
  private take(random: Random, candidates: number[], why: string): number {
    if (candidates.length === 0) throw new Error(`practice ${this.profile.odsCode} has no patient left for ${why}`)
    const i = Math.floor(random() * candidates.length)
    const patient = candidates[i]!
    candidates[i] = candidates[candidates.length - 1]!
    candidates.pop()
    return patient
  }

  // -- planted violations, near misses, overrides, malformed records --

  private plantSpecialRecords(random: Random) {
    const { days } = this.options
    const r = this.recipients
    const clean = this.patientsWhere((f) => (f & (HAS_OPT_OUT | HAS_DISSENT)) === 0)
    const [mainAcute] = r.referral
    const referral = disclosureKind('referral')
    const cohortStudy = disclosureKind('cohort_study')
    const beforePeriod = (minDays: number, maxDays: number) => this.window.start - between(random, minDays, maxDays) * DAY

    // Patients whose choices these records create come first, so the pools below see them.
    if (days >= 2) {
      const patient = this.take(random, clean, 'an opt-out the day after a disclosure')
      const day = between(random, 0, days - 2)
      const draft = this.addEvent(random, this.timeOn(random, day, true), this.disclosure(random, cohortStudy, patient))
      this.addConsent(random, this.timeOn(random, day + 1), { kind: 'ndop', entry: 'opt_out', readCoded: false, status: 'active' }, patient)
      this.flags[patient]! |= HAS_OPT_OUT
      this.label('nearMisses', 'optout_disclosure', draft, 'Research disclosure the day before the patient registered a national data opt-out')
    }
    {
      const patient = this.take(random, clean, 'a withdrawn opt-out')
      this.addConsent(random, beforePeriod(400, 700), { kind: 'ndop', entry: 'opt_out', readCoded: false, status: 'active' }, patient)
      this.addConsent(random, beforePeriod(30, 300), { kind: 'ndop', entry: 'withdrawal', readCoded: false, status: 'inactive' }, patient)
      this.flags[patient]! |= HAS_OPT_OUT
      const draft = this.addEvent(random, this.timeOn(random, this.anyDay(random), true), this.disclosure(random, cohortStudy, patient))
      this.label('nearMisses', 'optout_disclosure', draft, 'Research disclosure after the patient withdrew their national data opt-out')
    }
    {
      const patient = this.take(random, clean, 'a withdrawn dissent')
      this.sharingChoice(random, patient, 'opt_out', beforePeriod(400, 700))
      this.sharingChoice(random, patient, 'sharing_consent', beforePeriod(30, 300))
      this.flags[patient]! |= HAS_DISSENT
      const draft = this.addEvent(random, this.timeOn(random, this.anyDay(random)), this.disclosure(random, referral, patient))
      this.label('nearMisses', 'dissent_direct_care', draft, 'Referral after the patient withdrew their record-sharing dissent (9Nd1, then 9Nd7)')
    }
    {
      const patient = this.take(random, clean, 'a proposed consent')
      const draft = this.addConsent(random, this.timeOn(random, this.anyDay(random)), { kind: 'ndop', entry: 'opt_out', readCoded: false, status: 'proposed' }, patient)
      this.flags[patient]! |= HAS_OPT_OUT
      this.malformed.push({ resourceType: 'Consent', draft, problem: 'consent_not_in_force', reason: 'Consent status is proposed: not a decision in force' })
    }

    const ndopThroughout = this.patientsWhere((f) => (f & NDOP_THROUGHOUT) !== 0)
    const type1Throughout = this.patientsWhere((f) => (f & TYPE1_THROUGHOUT) !== 0)
    const dissentThroughout = this.patientsWhere((f) => (f & DISSENT_THROUGHOUT) !== 0)
    const anyone = this.patientsWhere(() => true)
    const event = (kind: DisclosureKind, patient: number | null, changes: Partial<DisclosureInput> = {}) =>
      this.addEvent(random, this.timeOn(random, this.anyDay(random), kind.overnight), this.disclosure(random, kind, patient, changes))
    const even = this.index % 2 === 0

    // Planted violations.
    {
      const draft = event(cohortStudy, this.take(random, ndopThroughout, 'a planted NDOP violation'))
      this.label('planted', 'optout_disclosure', draft, 'Identifiable research disclosure (s251) for a patient whose national data opt-out was in force')
    }
    {
      const draft = event(disclosureKind('patient_survey'), this.take(random, type1Throughout, 'a planted Type 1 violation'))
      this.label('planted', 'optout_disclosure', draft, 'Identifiable patient-survey sample for a patient whose Type 1 opt-out was in force')
    }
    {
      const [code, recipient, what] = even
        ? (['HMARKT', UNAGREED.marketingFirm, 'marketing'] as const)
        : (['COVERAGE', UNAGREED.insurer, 'insurance'] as const)
      const draft = event(referral, this.take(random, clean, 'a prohibited purpose'), {
        purposeCode: code,
        legalBasis: null,
        recipient,
        description: even ? 'Patient contact details and conditions list' : 'Medical history for insurance underwriting',
        staff: this.staffWith(random, ROLES.administrator),
      })
      this.label('planted', 'prohibited_purpose', draft, `Disclosure for ${what} (${code}) to ${recipient.name}`)
      this.label('planted', 'no_agreement', draft, `Disclosure for ${what} to ${recipient.name}, which no data sharing agreement covers`)
    }
    {
      const recipient = even ? UNAGREED.genomicsCompany : NATIONAL.icb
      const draft = event(disclosureKind('research_database'), this.take(random, clean, 'a missing agreement'), { recipient })
      this.label(
        'planted',
        'no_agreement',
        draft,
        even
          ? `Pseudonymised research extract to ${recipient.name}, which has no data sharing agreement`
          : 'Pseudonymised research extract to the ICB, whose agreements do not cover research',
      )
    }
    {
      const draft = event(disclosureKind('commissioning'), this.take(random, clean, 'excess identifiable data'), { dataLevel: 'identifiable' })
      this.label('planted', 'excess_identifiable', draft, 'Identifiable commissioning extract to the ICB, whose agreement allows pseudonymised data only')
    }
    {
      const draft = event(referral, this.take(random, dissentThroughout, 'a planted dissent violation'), { recipient: mainAcute! })
      this.label('planted', 'dissent_direct_care', draft, `Referral to ${mainAcute!.name} while the patient's record-sharing dissent (9Nd1) was in force, without an override`)
    }

    // Overrides: break-glass alerts, and disclosures that override consent. None is reviewed in the source.
    const breakGlassCount = Math.max(2, Math.round(days / 30))
    for (let i = 0; i < breakGlassCount; i++) {
      const purposeCode = pick(random, ['BTG', 'BTG', 'ETREAT'] as const)
      const overrideReason = pick(random, ['OVRER', 'OVRPJ', 'OVRPS', 'OVRTPS', null])
      const draft = this.addEvent(random, this.timeOn(random, this.anyDay(random)), {
        shape: 'override',
        purposeCode,
        overrideReason,
        legalBasis: pick(random, ['vital_interests', 'public_interest', null] as const),
        description: pick(random, [
          'Emergency access to the shared care record without consent',
          'Access to a record marked sensitive',
          'Access to a record the patient restricted',
        ]),
        staff: this.staffWith(random, pick(random, [ROLES.gp, ROLES.gp, ROLES.nurse])),
        nhsNumber: this.patients[pick(random, anyone)]!,
      })
      this.label('planted', 'unreviewed_override', draft, `Emergency override (${[purposeCode, overrideReason].filter(Boolean).join(', ')}) with no review`)
    }
    {
      const draft = event(disclosureKind('safeguarding'), this.take(random, anyone, 'a safeguarding override'), {
        overrideReason: 'OVRTPS',
        recipient: r.safeguarding[0]!,
      })
      this.label('planted', 'unreviewed_override', draft, 'Safeguarding disclosure overriding consent (OVRTPS) with no review')
    }
    {
      const draft = event(disclosureKind('court_or_police'), this.take(random, anyone, 'a police override'), {
        purposeCode: 'HLEGAL',
        overrideReason: 'OVRPS',
        legalBasis: 'public_interest',
        recipient: r.police,
        description: 'Information for a serious crime investigation',
      })
      this.label('planted', 'unreviewed_override', draft, `Disclosure to ${r.police.name} overriding consent for public safety (OVRPS) with no review`)
    }
    {
      const draft = event(referral, this.take(random, dissentThroughout, 'an emergency override of dissent'), {
        overrideReason: 'OVRER',
        legalBasis: 'vital_interests',
        recipient: mainAcute!,
        description: 'Summary care record',
      })
      this.label('planted', 'unreviewed_override', draft, 'Referral overriding the patient’s record-sharing dissent in an emergency (OVRER) with no review')
      this.label('nearMisses', 'dissent_direct_care', draft, 'Referral of a patient who dissented from record sharing, made under an emergency override (OVRER)')
    }

    // Near misses that need no new choices.
    {
      const draft = event(disclosureKind('safeguarding'), this.take(random, ndopThroughout, 'a safeguarding near miss'))
      this.label('nearMisses', 'optout_disclosure', draft, 'Safeguarding disclosure (safeguarding duty) for a patient with a national data opt-out: not covered by it')
    }
    {
      const draft = event(disclosureKind('trial_recruitment'), this.take(random, ndopThroughout, 'a consented research near miss'))
      this.label('nearMisses', 'optout_disclosure', draft, 'Research disclosure with the patient’s explicit consent, despite their national data opt-out')
    }
    {
      const draft = event(disclosureKind('public_health'), this.take(random, type1Throughout, 'a public health near miss'), { legalBasis: 'copi' })
      this.label('nearMisses', 'optout_disclosure', draft, 'Public health disclosure under a COPI notice for a patient with a Type 1 opt-out')
    }
    {
      const draft = event(referral, this.take(random, ndopThroughout, 'a direct care near miss'))
      this.label('nearMisses', 'optout_disclosure', draft, 'Referral for direct care of a patient with a national data opt-out: the opt-out does not cover direct care')
    }

    // The promises of the practice's own notice (issue 20). Which records break them is worked
    // out for every record at the end (labelPromiseBreaches); these make sure each is tested.
    if (this.promises('ask_before_identifiable_secondary')) {
      event(cohortStudy, this.take(random, clean, 'identifiable research on implied consent'), { legalBasis: 'implied_consent', description: 'Cohort study extract' })
      const s251 = event(cohortStudy, this.take(random, clean, 'identifiable research under s251'))
      this.label('nearMisses', 'secondary_without_consent', s251, 'Identifiable research extract with s251 support: consent is set aside')
      const anonymised = event(disclosureKind('research_database'), this.take(random, clean, 'anonymised research'), { dataLevel: 'anonymised' })
      this.label('nearMisses', 'secondary_without_consent', anonymised, 'Anonymised research extract with no legal basis: not identifiable')
    }
    if (this.promises('safe_systems')) {
      const toPatient = event(disclosureKind('subject_access'), this.take(random, anyone, 'a subject access near miss'))
      this.label('nearMisses', 'recipient_unassured', toPatient, 'Copy of the record to the patient: no DSPT status needed')
    }
    if (this.promises('only_as_listed')) {
      const urgent = event(disclosureKind('emergency'), this.take(random, clean, 'urgent care near miss'))
      this.label('nearMisses', 'outside_notice', urgent, 'Urgent care: covered by the notice’s direct care')
      const court = event(disclosureKind('court_or_police'), this.take(random, anyone, 'court order near miss'))
      this.label('nearMisses', 'outside_notice', court, 'Disclosure under a legal duty: not something a notice can rule out')
    }

    // Malformed records: realistic in every other way, so only the stated problem is wrong.
    const malformed = (problem: MalformedProblem, reason: string, changes: Partial<DisclosureInput>) => {
      const draft = event(referral, this.take(random, clean, `a malformed record (${problem})`), changes)
      this.malformed.push({ resourceType: 'AuditEvent', draft, problem, reason })
    }
    malformed('unknown_purpose', 'purposeOfEvent code XYZZY (v3-ActReason) maps to no known purpose', { purposeCode: 'XYZZY', legalBasis: null })
    malformed('no_patient', 'AuditEvent has no patient entity', { nhsNumber: null })
    {
      const patient = this.take(random, clean, 'a mistyped NHS number')
      const valid = this.patients[patient]!
      const mistyped = `${valid.slice(0, 9)}${(Number(valid[9]) + between(random, 1, 9)) % 10}`
      const draft = event(referral, patient, { nhsNumber: mistyped })
      this.malformed.push({ resourceType: 'AuditEvent', draft, problem: 'invalid_nhs_number', reason: 'patient NHS number fails the modulus-11 check' })
    }
    malformed('r5_shape', 'AuditEvent is FHIR R5-shaped (category, code, occurredDateTime); only R4 is accepted', { shape: 'r5_disclosure' })
  }

  // -- everyday sharing --

  private everydaySharing(random: Random) {
    const pools = {
      clean: this.patientsWhere((f) => (f & (HAS_OPT_OUT | HAS_DISSENT)) === 0),
      no_dissent: this.patientsWhere((f) => (f & HAS_DISSENT) === 0),
      any: this.patientsWhere(() => true),
    }
    // Everyday sharing stays within the practice's own notice: only planted records go outside it.
    const kinds = DISCLOSURE_KINDS.filter((k) =>
      this.kindRecipients.get(k)!.every((r) => kindPurposes(k).every((purpose) => !this.outside(purpose, r))),
    )
    const pickKind = weightedPicker(kinds, (k) => k.weight)
    const { days, eventsPerPracticePerDay } = this.options
    for (let day = 0; day < days; day++) {
      const weekday = new Date(this.dayStart(day)).getUTCDay()
      // Weekdays 1.3x and weekends 0.25x the mean, so a week averages the mean.
      const busy = weekday === 0 || weekday === 6 ? 0.25 : 1.3
      const count = Math.round(eventsPerPracticePerDay * busy * (0.8 + 0.4 * random()))
      for (let i = 0; i < count; i++) {
        const kind = pickKind(random)
        const pool = pools[kind.patients]
        // Squaring skews towards some patients: people with long-term conditions are shared about often.
        const u = random()
        const patient = pool[Math.floor(u * u * pool.length)]!
        this.addEvent(random, this.timeOn(random, day, kind.overnight), this.disclosure(random, kind, patient), true)
      }
    }
  }

  // -- assembly --

  private promises(code: PromiseCode): boolean {
    return this.notice.promises.some((p) => p.promise === code)
  }

  private outside(purpose: string, r: Recipient): boolean {
    if (!this.promises('only_as_listed')) return false
    return outsideNotice(this.noticeLists, { purpose, recipientType: r.type, recipientName: r.name, recipientOds: r.ods }) !== null
  }

  /** The recipient's DSPT status in the demo register (demoDsptRegister) on a day is "standards met". */
  private assured(r: Recipient, day: string): boolean {
    if (Object.values(UNAGREED).some((u) => u.name === r.name)) return false
    if (this.pharmacyLapse && r === this.recipients.pharmacy && day >= this.pharmacyLapse.from && day <= this.pharmacyLapse.to) return false
    return day >= registerValidFrom(this.options)
  }

  /**
   * Labels every record that breaks a promise of the practice's notice, with the rules' own
   * tests (core/promises.ts): the planted records, a pharmacy whose DSPT status lapsed, and
   * planted records of other rules that break a promise too.
   */
  private labelPromiseBreaches() {
    const malformed = new Set(this.malformed.map((m) => m.draft))
    for (const draft of this.events) {
      const input = draft.input
      if (input.shape !== 'disclosure' || malformed.has(draft)) continue
      const day = londonDay(draft.times.at)
      if (day < this.notice.in_force_from) continue
      const purpose = input.localPurpose ?? PURPOSE_OF_USE[input.purposeCode]!
      const r = input.recipient
      if (this.outside(purpose, r)) this.label('planted', 'outside_notice', draft, `${purpose.replaceAll('_', ' ')} disclosure to ${r.name}, outside the practice's notice`)
      if (
        this.promises('ask_before_identifiable_secondary') &&
        input.dataLevel === 'identifiable' &&
        SECONDARY_PURPOSES.includes(purpose) &&
        !(input.legalBasis && CONSENT_ANSWERED_BASES.includes(input.legalBasis))
      ) {
        this.label('planted', 'secondary_without_consent', draft, `Identifiable ${purpose.replaceAll('_', ' ')} data to ${r.name} without explicit consent or s251 support`)
      }
      if (this.promises('safe_systems') && r.type !== 'patient_representative' && !this.assured(r, day)) {
        this.label('planted', 'recipient_unassured', draft, `Disclosure to ${r.name}, whose DSPT status was not "standards met" that day`)
      }
    }
  }

  private finish(): PracticeData {
    this.labelPromiseBreaches()
    const ods = this.profile.odsCode
    const builder = practiceResourceBuilder(this.profile)
    const events = assignIdsAndOrder(this.events, `${ods.toLowerCase()}-ae-`)
    const consents = assignIdsAndOrder(this.consents, `${ods.toLowerCase()}-cn-`)
    const auditEvents = events.map((d) => builder.auditEvent(d.times, d.input))
    const consentResources = consents.map((d) => builder.consent(d.times, d.input))
    const labelled = (list: PendingLabel['list']) =>
      this.labels
        .filter((l) => l.list === list)
        .map((l) => ({
          rule: l.rule,
          practice: ods,
          resourceType: 'AuditEvent' as const,
          resourceId: l.draft.times.id,
          occurredAt: new Date(l.draft.times.at).toISOString(),
          description: l.description,
        }))
    return {
      practice: this.profile,
      auditEvents,
      consents: consentResources,
      planted: labelled('planted'),
      nearMisses: labelled('nearMisses'),
      malformed: this.malformed.map((m) => ({ practice: ods, resourceType: m.resourceType, resourceId: m.draft.times.id, problem: m.problem, reason: m.reason })),
      optOuts: {
        ndop: countOptOuts(consentResources, 'ndop', this.window.end),
        type1: countOptOuts(consentResources, 'type1', this.window.end),
      },
    }
  }
}

/**
 * Ids follow the order things happened; the list is then ordered by lastUpdated, made unique
 * (a tie moves on by a millisecond) so a collector's `_lastUpdated=gt` cursor never skips one.
 */
function assignIdsAndOrder<T extends { times: RecordTimes }>(drafts: T[], prefix: string): T[] {
  drafts.sort((a, b) => a.times.at - b.times.at)
  drafts.forEach((d, i) => (d.times.id = `${prefix}${String(i + 1).padStart(6, '0')}`))
  drafts.sort((a, b) => a.times.lastUpdated - b.times.lastUpdated)
  for (let i = 1; i < drafts.length; i++) {
    const previous = drafts[i - 1]!.times.lastUpdated
    if (drafts[i]!.times.lastUpdated <= previous) drafts[i]!.times.lastUpdated = previous + 1
  }
  return drafts
}

/** One practice's records, generated on their own (memory stays at one practice's worth). */
export function generatePractice(options: DatasetOptions, index: number): PracticeData {
  const o = resolveDatasetOptions(options)
  if (!Number.isInteger(index) || index < 0 || index >= o.practices) throw new RangeError(`practice index ${index} is outside 0 to ${o.practices - 1}.`)
  return new PracticeGenerator(o, index, practiceProfile(o, index)).generate()
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

/** The publication's figure for the mismatched practice: over 10% above the practice's own. */
function publishedNdopCount(recorded: number): number {
  return Math.ceil(recorded * 1.2) + 5
}

// ---- NHS England NDOP publication -----------------------------------------------------------

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

// ---- Data sharing agreements for the demo ----------------------------------------------------

export interface DemoAgreement {
  reference: string
  /** Null for a recipient without an ODS code: match it by name and type. */
  recipientOds: string | null
  recipientName: string
  recipientType: RecipientType
  /** Local purpose codes (purposes table). */
  purposes: Purpose[]
  dataLevel: DataLevel
  validFrom: string
  /** Inclusive; null when open-ended. */
  validTo: string | null
  practices: string[]
  description: string
}

const DATA_LEVEL_RANK: Record<DataLevel, number> = { anonymised: 0, pseudonymised: 1, identifiable: 2 }

/**
 * Agreements that cover every disclosure the simulator makes except the planted ones, whatever
 * purposes a rule engine checks: for each recipient, the purposes it receives (both the local
 * purpose and the one its v3 code maps to) at the most identifiable level it receives them.
 */
export function demoAgreements(dataset: Pick<Dataset, 'options' | 'practices'>): DemoAgreement[] {
  interface Use {
    recipient: Recipient
    levels: Map<Purpose, DataLevel>
    practicesByPurpose: Map<Purpose, Set<string>>
  }
  const uses = new Map<string, Use>()
  for (const { practice } of dataset.practices) {
    const { place, placeIndex } = placeOf(practice)
    const recipients = recipientsFor(place, placeIndex)
    for (const kind of DISCLOSURE_KINDS) {
      const purposes = new Set<Purpose>([kind.purpose, ...kind.purposeCodes.map((c) => PURPOSE_OF_USE[c]!)])
      for (const recipient of kind.recipients(recipients)) {
        const key = recipient.ods ?? `${recipient.type}|${recipient.name}`
        const use: Use = uses.get(key) ?? { recipient, levels: new Map(), practicesByPurpose: new Map() }
        uses.set(key, use)
        for (const purpose of purposes) {
          const level = use.levels.get(purpose)
          if (!level || DATA_LEVEL_RANK[kind.dataLevel] > DATA_LEVEL_RANK[level]) use.levels.set(purpose, kind.dataLevel)
          const practices = use.practicesByPurpose.get(purpose) ?? new Set()
          practices.add(practice.odsCode)
          use.practicesByPurpose.set(purpose, practices)
        }
      }
    }
  }

  const { start, end } = windowOf(dataset.options)
  const validFrom = `${new Date(start).getUTCFullYear() - 2}-04-01`
  const renewalDue = `${new Date(end).getUTCFullYear() + 1}-03-31`
  const agreements: Omit<DemoAgreement, 'reference'>[] = []
  for (const { recipient, levels, practicesByPurpose } of uses.values()) {
    for (const dataLevel of ['identifiable', 'pseudonymised', 'anonymised'] as const) {
      const purposes = [...levels].filter(([, level]) => level === dataLevel).map(([purpose]) => purpose).sort()
      if (purposes.length === 0) continue
      const practices = [...new Set(purposes.flatMap((p) => [...practicesByPurpose.get(p)!]))].sort()
      agreements.push({
        recipientOds: recipient.ods,
        recipientName: recipient.name,
        recipientType: recipient.type,
        purposes,
        dataLevel,
        validFrom,
        validTo: null,
        practices,
        description: `${purposes.map((p) => p.replaceAll('_', ' ')).join(', ')}: ${dataLevel} data to ${recipient.name}`,
      })
    }
  }
  agreements.sort((a, b) => a.recipientName.localeCompare(b.recipientName, 'en') || a.dataLevel.localeCompare(b.dataLevel))
  return agreements.map((a, i) => ({
    reference: `DSA-${ICB.code}-${String(i + 1).padStart(3, '0')}`,
    ...a,
    // Some agreements have a fixed term (still in force at the end of the period) rather than none.
    validTo: i % 3 === 2 ? renewalDue : null,
  }))
}

// ---- Privacy notices and the DSPT register for the demo ---------------------------------------

const LONDON_DAY = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' })
const londonDays = new Map<number, string>()
/** The calendar day in England; memoised per hour (formatting every record's date costs more than generating it). */
function londonDay(ms: number): string {
  const hour = Math.floor(ms / HOUR)
  let day = londonDays.get(hour)
  if (day === undefined) {
    if (londonDays.size > 100_000) londonDays.clear()
    day = LONDON_DAY.format(new Date(hour * HOUR))
    londonDays.set(hour, day)
  }
  return day
}

/** The local purposes a kind's records are stored under (the local code wins when sent). */
function kindPurposes(kind: DisclosureKind): Purpose[] {
  return kind.localPurposeCoding ? [kind.purpose] : [...new Set(kind.purposeCodes.map((c) => PURPOSE_OF_USE[c]!))]
}

function registerValidFrom(o: ResolvedDatasetOptions): string {
  return `${new Date(windowOf(o).start).getUTCFullYear() - 2}-04-01`
}

/**
 * The community pharmacy of every fifth town had its DSPT status drop to "approaching standards"
 * for ten days a third of the way into the period: its disclosures then break the "safe systems"
 * promise of practices that make it.
 */
function pharmacyLapseOf(o: ResolvedDatasetOptions, placeIndex: number): { from: string; to: string } | null {
  if (placeIndex % 5 !== 1) return null
  const from = windowOf(o).start + Math.floor(o.days / 3) * DAY
  return { from: new Date(from).toISOString().slice(0, 10), to: new Date(from + 9 * DAY).toISOString().slice(0, 10) }
}

export interface DemoDsptStatus {
  recipientOds: string | null
  recipientName: string
  recipientType: RecipientType
  status: 'standards_met' | 'approaching_standards'
  validFrom: string
  validTo: string | null
}

/**
 * The organisation register's DSPT statuses for the demo: "standards met" for every recipient
 * the simulated practices share with, except the planted-only ones (UNAGREED, no status at all)
 * and the pharmacies whose status lapsed (pharmacyLapseOf). The patient needs none.
 */
export function demoDsptRegister(dataset: Pick<Dataset, 'options' | 'practices'>): DemoDsptStatus[] {
  const o = dataset.options
  const rows = new Map<string, DemoDsptStatus[]>()
  for (const { practice } of dataset.practices) {
    const { place, placeIndex } = placeOf(practice)
    const recipients = recipientsFor(place, placeIndex)
    for (const kind of DISCLOSURE_KINDS) {
      for (const r of kind.recipients(recipients)) {
        const key = r.ods ?? `${r.type}|${r.name}`
        if (r.type === 'patient_representative' || rows.has(key)) continue
        const base = { recipientOds: r.ods, recipientName: r.name, recipientType: r.type }
        const list: DemoDsptStatus[] = [{ ...base, status: 'standards_met', validFrom: registerValidFrom(o), validTo: null }]
        const lapse = r === recipients.pharmacy ? pharmacyLapseOf(o, placeIndex) : null
        if (lapse) list.push({ ...base, status: 'approaching_standards', validFrom: lapse.from, validTo: lapse.to })
        rows.set(key, list)
      }
    }
  }
  return [...rows.values()].flat()
}

export { noticeFileFor } from './notices.js'
