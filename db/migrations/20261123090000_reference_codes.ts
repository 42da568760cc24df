import type { Knex } from 'knex'

// Reference vocabulary: purposes, recipient types, legal bases and the codes sources send for
// them (decision 006 says how FHIR codings map). Administrators extend the mapping tables
// (purpose_code_map, choice_code_map) at run time; these rows are the starting set.

const PURPOSES: Array<[code: string, label: string, optOutApplies: boolean, prohibited: boolean]> = [
  ['direct_care', 'Direct care by the team and other providers caring for the patient', false, false],
  ['emergency_care', 'Urgent or emergency care', false, false],
  ['research', 'Research', true, false],
  ['clinical_audit', 'Clinical audit (local and national)', true, false],
  ['benchmarking', 'Local and national benchmarking', true, false],
  ['service_management', 'Service management', true, false],
  ['commissioning', 'Commissioning and commissioners’ reports', true, false],
  ['contract_monitoring', 'Contract monitoring and NHS England contract obligations', true, false],
  ['capacity_planning', 'Capacity and demand planning', true, false],
  ['teaching_training', 'Teaching and training', true, false],
  ['incident_review', 'Serious case reviews and incident management', false, false],
  ['surveys', 'Staff and patient surveys', true, false],
  ['personal_development', 'Clinicians’ development and appraisal', true, false],
  ['subject_access', 'Subject access requests', false, false],
  ['risk_stratification', 'Risk stratification', true, false],
  ['secondary_processing', 'Changing information for secondary use', true, false],
  ['legal', 'Court order or other legal duty', false, false],
  ['public_health', 'Notifiable disease and public health', false, false],
  ['safeguarding', 'Serious harm to self, others or a child', false, false],
  ['marketing', 'Marketing (prohibited: never for marketing)', false, true],
  ['insurance', 'Insurance (prohibited: never for insurance)', false, true],
]

const V3_ACT_REASON = 'http://terminology.hl7.org/CodeSystem/v3-ActReason'
const PURPOSE_OF_USE: Array<[code: string, purpose: string]> = [
  ['TREAT', 'direct_care'],
  ['CAREMGT', 'direct_care'],
  ['COC', 'direct_care'],
  ['ETREAT', 'emergency_care'],
  ['BTG', 'emergency_care'],
  ['HRESCH', 'research'],
  ['CLINTRCH', 'research'],
  ['HQUALIMP', 'clinical_audit'],
  ['PERFMSR', 'benchmarking'],
  ['HOUTCOMS', 'benchmarking'],
  ['HOPERAT', 'service_management'],
  ['HPRGRP', 'contract_monitoring'],
  ['HCOMPL', 'contract_monitoring'],
  ['TRAIN', 'teaching_training'],
  ['PATSFTY', 'incident_review'],
  ['PATRQT', 'subject_access'],
  ['FAMRQT', 'subject_access'],
  ['PWATRNY', 'subject_access'],
  ['HLEGAL', 'legal'],
  ['PUBHLTH', 'public_health'],
  ['THREAT', 'safeguarding'],
  ['HMARKT', 'marketing'],
  ['COVERAGE', 'insurance'],
  ['ELIGDTRM', 'insurance'],
]
/** A source may also send our local purpose codes directly (the register CSV does). */
export const LOCAL_PURPOSE_SYSTEM = 'urn:sharing-ledger:purpose'

const RECIPIENT_TYPES: Array<[code: string, label: string]> = [
  ['nhs_trust', 'NHS trust / foundation trust'],
  ['gp_practice', 'GP practice'],
  ['independent_contractor', 'Independent contractor (dentist, optician, pharmacist)'],
  ['private_provider', 'Private sector provider'],
  ['voluntary_provider', 'Voluntary sector provider'],
  ['ambulance_trust', 'Ambulance trust'],
  ['icb', 'ICB / ICS'],
  ['social_care', 'Social care services'],
  ['nhs_england', 'NHS England'],
  ['local_authority', 'Local authority'],
  ['education', 'Education services'],
  ['fire_rescue', 'Fire and rescue'],
  ['police_judicial', 'Police and judicial'],
  ['research_org', 'Research organisation'],
  ['survey_contractor', 'Approved survey contractor'],
  ['data_processor', 'Data processor'],
  ['patient_representative', 'The patient or their representative'],
  ['insurer', 'Insurer'],
  ['solicitor', 'Solicitor'],
  ['other', 'Other / not known'],
]

const LEGAL_BASES: Array<[code: string, label: string, exemptsNdop: boolean]> = [
  ['explicit_consent', 'Explicit consent', true],
  ['implied_consent', 'Implied consent for direct care', false],
  ['legal_obligation', 'Legal obligation / court order', true],
  ['public_interest', 'Overriding public interest', true],
  ['vital_interests', 'Vital interests / emergency', true],
  ['s251', 's251 approval (CAG)', false],
  ['copi', 'COPI notice (communicable disease / public health)', true],
  ['mental_health_act', 'Mental Health Act 1983 (nearest relative)', true],
  ['safeguarding_duty', 'Safeguarding duty', true],
]

const SNOMED = 'http://snomed.info/sct'
const READ2 = 'http://read.info/readv2'
const CTV3 = 'http://read.info/ctv3'
const CHOICE_CODES: Array<[system: string, code: string, kind: string, decision: 'deny' | 'permit']> = [
  [SNOMED, '370856009', 'ndop', 'deny'],
  [SNOMED, '827241000000103', 'type1', 'deny'],
  [READ2, '9Nu0', 'type1', 'deny'],
  [CTV3, 'XaZ89', 'type1', 'deny'],
  [READ2, '9Nd1', 'record_sharing', 'deny'],
  [READ2, '9Nd7', 'record_sharing', 'permit'],
  [READ2, '9Ndo', 'scr', 'deny'],
  [READ2, '93C3', 'scr', 'deny'],
  [READ2, '93C1', 'scr', 'permit'],
]

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('purposes', (t) => {
    t.text('code').primary()
    t.text('label').notNullable()
    t.boolean('opt_out_applies').notNullable().comment('NDOP and Type 1 opt-outs cover this purpose')
    t.boolean('prohibited').notNullable().defaultTo(false)
  })
  await knex('purposes').insert(
    PURPOSES.map(([code, label, opt_out_applies, prohibited]) => ({ code, label, opt_out_applies, prohibited })),
  )

  await knex.schema.createTable('purpose_code_map', (t) => {
    t.text('system').notNullable()
    t.text('code').notNullable()
    t.text('purpose').notNullable().references('purposes.code')
    t.primary(['system', 'code'])
  })
  await knex('purpose_code_map').insert([
    ...PURPOSE_OF_USE.map(([code, purpose]) => ({ system: V3_ACT_REASON, code, purpose })),
    ...PURPOSES.map(([code]) => ({ system: LOCAL_PURPOSE_SYSTEM, code, purpose: code })),
  ])

  await knex.schema.createTable('recipient_types', (t) => {
    t.text('code').primary()
    t.text('label').notNullable()
  })
  await knex('recipient_types').insert(RECIPIENT_TYPES.map(([code, label]) => ({ code, label })))

  await knex.schema.createTable('legal_bases', (t) => {
    t.text('code').primary()
    t.text('label').notNullable()
    t.boolean('exempts_opt_out').notNullable().comment('a disclosure under this basis is exempt from NDOP / Type 1')
  })
  await knex('legal_bases').insert(
    LEGAL_BASES.map(([code, label, exempts_opt_out]) => ({ code, label, exempts_opt_out })),
  )

  await knex.schema.createTable('choice_code_map', (t) => {
    t.text('system').notNullable()
    t.text('code').notNullable()
    t.text('kind').notNullable().checkIn(['ndop', 'type1', 'record_sharing', 'scr'])
    t.text('decision').notNullable().checkIn(['deny', 'permit'])
    t.primary(['system', 'code'])
  })
  await knex('choice_code_map').insert(
    CHOICE_CODES.map(([system, code, kind, decision]) => ({ system, code, kind, decision })),
  )
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['choice_code_map', 'legal_bases', 'recipient_types', 'purpose_code_map', 'purposes']) {
    await knex.schema.dropTable(table)
  }
}
