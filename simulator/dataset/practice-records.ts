/**
 * One practice's records while they are generated: its patients and what they chose (flags),
 * its staff and recipients, the drafts and their labels. choices.ts, planted.ts and
 * everyday.ts add records in that order, each from its own random stream; finish() labels the
 * breaches of the practice's notice and builds the FHIR resources.
 */
import type { NoticeFile } from '../../jobs/import-notice.js'
import { CONSENT_ANSWERED_BASES, SECONDARY_PURPOSES, outsideNotice, type NoticeLists, type PromiseCode } from '../../core/promises.js'
import { PURPOSE_OF_USE, STAFFING, type Recipient, type StaffRole } from '../catalogue/codes.js'
import { DISCLOSURE_KINDS, type DisclosureKind } from '../catalogue/disclosure-kinds.js'
import { UNAGREED, recipientsFor, type PracticeRecipients } from '../catalogue/places.js'
import {
  practiceResourceBuilder,
  type AuditEventInput,
  type ConsentInput,
  type DisclosureInput,
  type RecordTimes,
  type StaffMember,
} from '../fhir.js'
import { noticeFileFor } from '../notices.js'
import { between, pick, randomStream, type Random } from '../random.js'
import { pharmacyLapseOf, registerValidFrom } from './demo-register.js'
import { countOptOuts } from './opt-outs.js'
import { DAY, HOUR, MINUTE, SECOND, windowOf, type ResolvedDatasetOptions } from './options.js'
import { nhsNumbers, placeOf } from './practices.js'
import type { MalformedProblem, PracticeData, PracticeProfile, RuleId } from './types.js'

// Per-patient facts that decide which disclosures may name them without breaking a rule.
export const HAS_OPT_OUT = 1 // any NDOP or Type 1 record, ever
export const HAS_DISSENT = 2 // any record-sharing dissent (9Nd1), ever
export const NDOP_THROUGHOUT = 4 // NDOP opt-out from before the period, never withdrawn
export const TYPE1_THROUGHOUT = 8
export const DISSENT_THROUGHOUT = 16

export interface EventDraft {
  times: RecordTimes
  input: AuditEventInput
}
export interface ConsentDraft {
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

export class PracticeRecords {
  readonly window: { start: number; end: number }
  readonly patients: string[]
  readonly flags: Uint8Array
  readonly staffByRole = new Map<string, StaffMember[]>()
  readonly recipients: PracticeRecipients
  readonly kindRecipients = new Map<DisclosureKind, readonly Recipient[]>()
  readonly events: EventDraft[] = []
  readonly consents: ConsentDraft[] = []
  readonly labels: PendingLabel[] = []
  readonly malformed: PendingMalformed[] = []
  readonly notice: NoticeFile
  readonly noticeLists: NoticeLists
  readonly pharmacyLapse: { from: string; to: string } | null

  constructor(
    readonly options: ResolvedDatasetOptions,
    readonly index: number,
    readonly profile: PracticeProfile,
  ) {
    this.window = windowOf(options)
    this.patients = nhsNumbers(options.seed, index, profile.listSize)
    this.flags = new Uint8Array(profile.listSize)
    const { place, placeIndex } = placeOf(profile)
    this.recipients = recipientsFor(place, placeIndex)
    for (const kind of DISCLOSURE_KINDS) this.kindRecipients.set(kind, kind.recipients(this.recipients))
    this.notice = noticeFileFor(index).notice
    this.noticeLists = {
      purposes: this.notice.purposes ?? null,
      recipientTypes: this.notice.recipient_types ?? null,
      processors: this.notice.processors ?? null,
    }
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

  // -- time --

  dayStart(day: number): number {
    return this.window.start + day * DAY
  }

  /** A moment on that day: office hours, or the small hours when extracts run. */
  timeOn(random: Random, day: number, overnight = false): number {
    const seconds = overnight ? between(random, 3600, 4 * 3600) : between(random, 8 * 3600, 18 * 3600 + 1800)
    return this.dayStart(day) + seconds * SECOND
  }

  anyDay(random: Random): number {
    return between(random, 0, this.options.days - 1)
  }

  // -- records --

  addEvent(random: Random, at: number, input: AuditEventInput, mayBeCorrected = false): EventDraft {
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

  addConsent(random: Random, at: number, input: Omit<ConsentInput, 'nhsNumber'>, patient: number): ConsentDraft {
    const prompt = at + between(random, 1, 30) * MINUTE + between(random, 0, 999)
    const late = random() < 0.02 ? prompt + between(random, 60, 5 * 24 * 60) * MINUTE : prompt
    const lastUpdated = late <= this.window.end ? late : prompt
    const draft = {
      times: { id: '', at, recorded: at, lastUpdated, versionId: '1' },
      input: { ...input, nhsNumber: this.patients[patient]! },
    }
    this.consents.push(draft)
    return draft
  }

  staffWith(random: Random, role: StaffRole): StaffMember {
    return pick(random, this.staffByRole.get(role.code)!)
  }

  disclosure(random: Random, kind: DisclosureKind, patient: number | null, changes: Partial<DisclosureInput> = {}): DisclosureInput {
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

  label(list: PendingLabel['list'], rule: RuleId, draft: EventDraft, description: string) {
    this.labels.push({ list, rule, draft, description })
  }

  // -- patients --

  sharingChoice(random: Random, patient: number, entry: 'opt_out' | 'sharing_consent', at: number) {
    return this.addConsent(random, at, { kind: 'record_sharing', entry, readCoded: true, status: 'active' }, patient)
  }

  patientsWhere(test: (flags: number) => boolean): number[] {
    const found: number[] = []
    for (let i = 0; i < this.flags.length; i++) if (test(this.flags[i]!)) found.push(i)
    return found
  }

  /** A random patient from the list, removed so no two special records share one. */
  take(random: Random, candidates: number[], why: string): number {
    if (candidates.length === 0) throw new Error(`practice ${this.profile.odsCode} has no patient left for ${why}`)
    const i = Math.floor(random() * candidates.length)
    const patient = candidates[i]!
    candidates[i] = candidates[candidates.length - 1]!
    candidates.pop()
    return patient
  }

  // -- the practice's notice, and assembly --

  promises(code: PromiseCode): boolean {
    return this.notice.promises.some((p) => p.promise === code)
  }

  outside(purpose: string, r: Recipient): boolean {
    if (!this.promises('only_as_listed')) return false
    return outsideNotice(this.noticeLists, { purpose, recipientType: r.type, recipientName: r.name, recipientOds: r.ods }) !== null
  }

  /** The recipient's DSPT status in the demo register (demoDsptRegister) on a day is "standards met". */
  assured(r: Recipient, day: string): boolean {
    if (Object.values(UNAGREED).some((u) => u.name === r.name)) return false
    if (this.pharmacyLapse && r === this.recipients.pharmacy && day >= this.pharmacyLapse.from && day <= this.pharmacyLapse.to) return false
    return day >= registerValidFrom(this.options)
  }

  /**
   * Labels every record that breaks a promise of the practice's notice, with the rules' own
   * tests (core/promises.ts): the planted records, a pharmacy whose DSPT status lapsed, and
   * planted records of other rules that break a promise too.
   */
  labelPromiseBreaches() {
    const malformed = new Set(this.malformed.map((m) => m.draft))
    for (const draft of this.events) {
      const input = draft.input
      if (input.shape !== 'disclosure' || malformed.has(draft)) continue
      const day = londonDay(draft.times.at)
      if (day < this.notice.in_force_from) continue
      const purpose = input.localPurpose ?? PURPOSE_OF_USE[input.purposeCode]!
      const r = input.recipient
      if (this.outside(purpose, r))
        this.label(
          'planted',
          'outside_notice',
          draft,
          `${purpose.replaceAll('_', ' ')} disclosure to ${r.name}, outside the practice's notice`,
        )
      if (
        this.promises('ask_before_identifiable_secondary') &&
        input.dataLevel === 'identifiable' &&
        SECONDARY_PURPOSES.includes(purpose) &&
        !(input.legalBasis && CONSENT_ANSWERED_BASES.includes(input.legalBasis))
      ) {
        this.label(
          'planted',
          'secondary_without_consent',
          draft,
          `Identifiable ${purpose.replaceAll('_', ' ')} data to ${r.name} without explicit consent or s251 support`,
        )
      }
      if (this.promises('safe_systems') && r.type !== 'patient_representative' && !this.assured(r, day)) {
        this.label('planted', 'recipient_unassured', draft, `Disclosure to ${r.name}, whose DSPT status was not "standards met" that day`)
      }
    }
  }

  finish(): PracticeData {
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
      malformed: this.malformed.map((m) => ({
        practice: ods,
        resourceType: m.resourceType,
        resourceId: m.draft.times.id,
        problem: m.problem,
        reason: m.reason,
      })),
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
