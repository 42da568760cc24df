/**
 * The special records of one practice: planted rule violations, near misses the rules must
 * leave alone, unreviewed overrides and malformed records a collector must quarantine, each
 * labelled so tests know what the collector and the rules should find.
 */
import { ROLES } from '../catalogue/codes.js'
import { disclosureKind, type DisclosureKind } from '../catalogue/disclosure-kinds.js'
import { NATIONAL, UNAGREED } from '../catalogue/places.js'
import type { DisclosureInput } from '../fhir.js'
import { between, pick, type Random } from '../random.js'
import { DAY } from './options.js'
import {
  DISSENT_THROUGHOUT,
  HAS_DISSENT,
  HAS_OPT_OUT,
  NDOP_THROUGHOUT,
  TYPE1_THROUGHOUT,
  type PracticeRecords,
} from './practice-records.js'
import type { MalformedProblem } from './types.js'

export function plantSpecialRecords(practice: PracticeRecords, random: Random) {
  const { days } = practice.options
  const r = practice.recipients
  const clean = practice.patientsWhere((f) => (f & (HAS_OPT_OUT | HAS_DISSENT)) === 0)
  const [mainAcute] = r.referral
  const referral = disclosureKind('referral')
  const cohortStudy = disclosureKind('cohort_study')
  const beforePeriod = (minDays: number, maxDays: number) => practice.window.start - between(random, minDays, maxDays) * DAY

  // Patients whose choices these records create come first, so the pools below see them.
  if (days >= 2) {
    const patient = practice.take(random, clean, 'an opt-out the day after a disclosure')
    const day = between(random, 0, days - 2)
    const draft = practice.addEvent(random, practice.timeOn(random, day, true), practice.disclosure(random, cohortStudy, patient))
    practice.addConsent(
      random,
      practice.timeOn(random, day + 1),
      { kind: 'ndop', entry: 'opt_out', readCoded: false, status: 'active' },
      patient,
    )
    practice.flags[patient]! |= HAS_OPT_OUT
    practice.label(
      'nearMisses',
      'optout_disclosure',
      draft,
      'Research disclosure the day before the patient registered a national data opt-out',
    )
  }
  {
    const patient = practice.take(random, clean, 'a withdrawn opt-out')
    practice.addConsent(random, beforePeriod(400, 700), { kind: 'ndop', entry: 'opt_out', readCoded: false, status: 'active' }, patient)
    practice.addConsent(random, beforePeriod(30, 300), { kind: 'ndop', entry: 'withdrawal', readCoded: false, status: 'inactive' }, patient)
    practice.flags[patient]! |= HAS_OPT_OUT
    const draft = practice.addEvent(
      random,
      practice.timeOn(random, practice.anyDay(random), true),
      practice.disclosure(random, cohortStudy, patient),
    )
    practice.label('nearMisses', 'optout_disclosure', draft, 'Research disclosure after the patient withdrew their national data opt-out')
  }
  {
    const patient = practice.take(random, clean, 'a withdrawn dissent')
    practice.sharingChoice(random, patient, 'opt_out', beforePeriod(400, 700))
    practice.sharingChoice(random, patient, 'sharing_consent', beforePeriod(30, 300))
    practice.flags[patient]! |= HAS_DISSENT
    const draft = practice.addEvent(
      random,
      practice.timeOn(random, practice.anyDay(random)),
      practice.disclosure(random, referral, patient),
    )
    practice.label(
      'nearMisses',
      'dissent_direct_care',
      draft,
      'Referral after the patient withdrew their record-sharing dissent (9Nd1, then 9Nd7)',
    )
  }
  {
    const patient = practice.take(random, clean, 'a proposed consent')
    const draft = practice.addConsent(
      random,
      practice.timeOn(random, practice.anyDay(random)),
      { kind: 'ndop', entry: 'opt_out', readCoded: false, status: 'proposed' },
      patient,
    )
    practice.flags[patient]! |= HAS_OPT_OUT
    practice.malformed.push({
      resourceType: 'Consent',
      draft,
      problem: 'consent_not_in_force',
      reason: 'Consent status is proposed: not a decision in force',
    })
  }

  const ndopThroughout = practice.patientsWhere((f) => (f & NDOP_THROUGHOUT) !== 0)
  const type1Throughout = practice.patientsWhere((f) => (f & TYPE1_THROUGHOUT) !== 0)
  const dissentThroughout = practice.patientsWhere((f) => (f & DISSENT_THROUGHOUT) !== 0)
  const anyone = practice.patientsWhere(() => true)
  const event = (kind: DisclosureKind, patient: number | null, changes: Partial<DisclosureInput> = {}) =>
    practice.addEvent(
      random,
      practice.timeOn(random, practice.anyDay(random), kind.overnight),
      practice.disclosure(random, kind, patient, changes),
    )
  const even = practice.index % 2 === 0

  // Planted violations.
  {
    const draft = event(cohortStudy, practice.take(random, ndopThroughout, 'a planted NDOP violation'))
    practice.label(
      'planted',
      'optout_disclosure',
      draft,
      'Identifiable research disclosure (s251) for a patient whose national data opt-out was in force',
    )
  }
  {
    const draft = event(disclosureKind('patient_survey'), practice.take(random, type1Throughout, 'a planted Type 1 violation'))
    practice.label(
      'planted',
      'optout_disclosure',
      draft,
      'Identifiable patient-survey sample for a patient whose Type 1 opt-out was in force',
    )
  }
  {
    const [code, recipient, what] = even
      ? (['HMARKT', UNAGREED.marketingFirm, 'marketing'] as const)
      : (['COVERAGE', UNAGREED.insurer, 'insurance'] as const)
    const draft = event(referral, practice.take(random, clean, 'a prohibited purpose'), {
      purposeCode: code,
      legalBasis: null,
      recipient,
      description: even ? 'Patient contact details and conditions list' : 'Medical history for insurance underwriting',
      staff: practice.staffWith(random, ROLES.administrator),
    })
    practice.label('planted', 'prohibited_purpose', draft, `Disclosure for ${what} (${code}) to ${recipient.name}`)
    practice.label('planted', 'no_agreement', draft, `Disclosure for ${what} to ${recipient.name}, which no data sharing agreement covers`)
  }
  {
    const recipient = even ? UNAGREED.genomicsCompany : NATIONAL.icb
    const draft = event(disclosureKind('research_database'), practice.take(random, clean, 'a missing agreement'), { recipient })
    practice.label(
      'planted',
      'no_agreement',
      draft,
      even
        ? `Pseudonymised research extract to ${recipient.name}, which has no data sharing agreement`
        : 'Pseudonymised research extract to the ICB, whose agreements do not cover research',
    )
  }
  {
    const draft = event(disclosureKind('commissioning'), practice.take(random, clean, 'excess identifiable data'), {
      dataLevel: 'identifiable',
    })
    practice.label(
      'planted',
      'excess_identifiable',
      draft,
      'Identifiable commissioning extract to the ICB, whose agreement allows pseudonymised data only',
    )
  }
  {
    const draft = event(referral, practice.take(random, dissentThroughout, 'a planted dissent violation'), { recipient: mainAcute! })
    practice.label(
      'planted',
      'dissent_direct_care',
      draft,
      `Referral to ${mainAcute!.name} while the patient's record-sharing dissent (9Nd1) was in force, without an override`,
    )
  }

  // Overrides: break-glass alerts, and disclosures that override consent. None is reviewed in the source.
  const breakGlassCount = Math.max(2, Math.round(days / 30))
  for (let i = 0; i < breakGlassCount; i++) {
    const purposeCode = pick(random, ['BTG', 'BTG', 'ETREAT'] as const)
    const overrideReason = pick(random, ['OVRER', 'OVRPJ', 'OVRPS', 'OVRTPS', null])
    const draft = practice.addEvent(random, practice.timeOn(random, practice.anyDay(random)), {
      shape: 'override',
      purposeCode,
      overrideReason,
      legalBasis: pick(random, ['vital_interests', 'public_interest', null] as const),
      description: pick(random, [
        'Emergency access to the shared care record without consent',
        'Access to a record marked sensitive',
        'Access to a record the patient restricted',
      ]),
      staff: practice.staffWith(random, pick(random, [ROLES.gp, ROLES.gp, ROLES.nurse])),
      nhsNumber: practice.patients[pick(random, anyone)]!,
    })
    practice.label(
      'planted',
      'unreviewed_override',
      draft,
      `Emergency override (${[purposeCode, overrideReason].filter(Boolean).join(', ')}) with no review`,
    )
  }
  {
    const draft = event(disclosureKind('safeguarding'), practice.take(random, anyone, 'a safeguarding override'), {
      overrideReason: 'OVRTPS',
      recipient: r.safeguarding[0]!,
    })
    practice.label('planted', 'unreviewed_override', draft, 'Safeguarding disclosure overriding consent (OVRTPS) with no review')
  }
  {
    const draft = event(disclosureKind('court_or_police'), practice.take(random, anyone, 'a police override'), {
      purposeCode: 'HLEGAL',
      overrideReason: 'OVRPS',
      legalBasis: 'public_interest',
      recipient: r.police,
      description: 'Information for a serious crime investigation',
    })
    practice.label(
      'planted',
      'unreviewed_override',
      draft,
      `Disclosure to ${r.police.name} overriding consent for public safety (OVRPS) with no review`,
    )
  }
  {
    const draft = event(referral, practice.take(random, dissentThroughout, 'an emergency override of dissent'), {
      overrideReason: 'OVRER',
      legalBasis: 'vital_interests',
      recipient: mainAcute!,
      description: 'Summary care record',
    })
    practice.label(
      'planted',
      'unreviewed_override',
      draft,
      'Referral overriding the patient’s record-sharing dissent in an emergency (OVRER) with no review',
    )
    practice.label(
      'nearMisses',
      'dissent_direct_care',
      draft,
      'Referral of a patient who dissented from record sharing, made under an emergency override (OVRER)',
    )
  }

  // Near misses that need no new choices.
  {
    const draft = event(disclosureKind('safeguarding'), practice.take(random, ndopThroughout, 'a safeguarding near miss'))
    practice.label(
      'nearMisses',
      'optout_disclosure',
      draft,
      'Safeguarding disclosure (safeguarding duty) for a patient with a national data opt-out: not covered by it',
    )
  }
  {
    const draft = event(disclosureKind('trial_recruitment'), practice.take(random, ndopThroughout, 'a consented research near miss'))
    practice.label(
      'nearMisses',
      'optout_disclosure',
      draft,
      'Research disclosure with the patient’s explicit consent, despite their national data opt-out',
    )
  }
  {
    const draft = event(disclosureKind('public_health'), practice.take(random, type1Throughout, 'a public health near miss'), {
      legalBasis: 'copi',
    })
    practice.label(
      'nearMisses',
      'optout_disclosure',
      draft,
      'Public health disclosure under a COPI notice for a patient with a Type 1 opt-out',
    )
  }
  {
    const draft = event(referral, practice.take(random, ndopThroughout, 'a direct care near miss'))
    practice.label(
      'nearMisses',
      'optout_disclosure',
      draft,
      'Referral for direct care of a patient with a national data opt-out: the opt-out does not cover direct care',
    )
  }

  // The promises of the practice's own notice (issue 20). Which records break them is worked
  // out for every record at the end (labelPromiseBreaches); these make sure each is tested.
  if (practice.promises('ask_before_identifiable_secondary')) {
    event(cohortStudy, practice.take(random, clean, 'identifiable research on implied consent'), {
      legalBasis: 'implied_consent',
      description: 'Cohort study extract',
    })
    const s251 = event(cohortStudy, practice.take(random, clean, 'identifiable research under s251'))
    practice.label('nearMisses', 'secondary_without_consent', s251, 'Identifiable research extract with s251 support: consent is set aside')
    const anonymised = event(disclosureKind('research_database'), practice.take(random, clean, 'anonymised research'), {
      dataLevel: 'anonymised',
    })
    practice.label(
      'nearMisses',
      'secondary_without_consent',
      anonymised,
      'Anonymised research extract with no legal basis: not identifiable',
    )
  }
  if (practice.promises('safe_systems')) {
    const toPatient = event(disclosureKind('subject_access'), practice.take(random, anyone, 'a subject access near miss'))
    practice.label('nearMisses', 'recipient_unassured', toPatient, 'Copy of the record to the patient: no DSPT status needed')
  }
  if (practice.promises('only_as_listed')) {
    const urgent = event(disclosureKind('emergency'), practice.take(random, clean, 'urgent care near miss'))
    practice.label('nearMisses', 'outside_notice', urgent, 'Urgent care: covered by the notice’s direct care')
    const court = event(disclosureKind('court_or_police'), practice.take(random, anyone, 'court order near miss'))
    practice.label('nearMisses', 'outside_notice', court, 'Disclosure under a legal duty: not something a notice can rule out')
  }

  // Malformed records: realistic in every other way, so only the stated problem is wrong.
  const malformed = (problem: MalformedProblem, reason: string, changes: Partial<DisclosureInput>) => {
    const draft = event(referral, practice.take(random, clean, `a malformed record (${problem})`), changes)
    practice.malformed.push({ resourceType: 'AuditEvent', draft, problem, reason })
  }
  malformed('unknown_purpose', 'purposeOfEvent code XYZZY (v3-ActReason) maps to no known purpose', {
    purposeCode: 'XYZZY',
    legalBasis: null,
  })
  malformed('no_patient', 'AuditEvent has no patient entity', { nhsNumber: null })
  {
    const patient = practice.take(random, clean, 'a mistyped NHS number')
    const valid = practice.patients[patient]!
    const mistyped = `${valid.slice(0, 9)}${(Number(valid[9]) + between(random, 1, 9)) % 10}`
    const draft = event(referral, patient, { nhsNumber: mistyped })
    practice.malformed.push({
      resourceType: 'AuditEvent',
      draft,
      problem: 'invalid_nhs_number',
      reason: 'patient NHS number fails the modulus-11 check',
    })
  }
  malformed('r5_shape', 'AuditEvent is FHIR R5-shaped (category, code, occurredDateTime); only R4 is accepted', { shape: 'r5_disclosure' })
}
