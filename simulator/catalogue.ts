/**
 * What the simulated practices look like and who they share with: geography (one ICB in the
 * North East), recipient organisations, staff roles and the kinds of disclosure with their
 * weights. Organisation names and codes are plausible, not authoritative: this is test data.
 */

export type Purpose =
  | 'direct_care'
  | 'emergency_care'
  | 'research'
  | 'clinical_audit'
  | 'benchmarking'
  | 'service_management'
  | 'commissioning'
  | 'contract_monitoring'
  | 'teaching_training'
  | 'incident_review'
  | 'surveys'
  | 'subject_access'
  | 'risk_stratification'
  | 'legal'
  | 'public_health'
  | 'safeguarding'
  | 'marketing'
  | 'insurance'

export type RecipientType =
  | 'nhs_trust'
  | 'gp_practice'
  | 'independent_contractor'
  | 'ambulance_trust'
  | 'icb'
  | 'social_care'
  | 'nhs_england'
  | 'local_authority'
  | 'education'
  | 'police_judicial'
  | 'research_org'
  | 'survey_contractor'
  | 'data_processor'
  | 'patient_representative'
  | 'insurer'
  | 'solicitor'
  | 'other'

export type LegalBasis =
  | 'explicit_consent'
  | 'implied_consent'
  | 'legal_obligation'
  | 'public_interest'
  | 'vital_interests'
  | 's251'
  | 'copi'
  | 'mental_health_act'
  | 'safeguarding_duty'

export type DataLevel = 'identifiable' | 'pseudonymised' | 'anonymised'

export interface Recipient {
  ods: string | null
  name: string
  type: RecipientType
}

/**
 * How a collector maps each HL7 v3 PurposeOfUse code to a local purpose (the starting rows of
 * purpose_code_map in db/migrations/20261123090000_reference_codes.ts, for the codes used here).
 */
export const PURPOSE_OF_USE: Readonly<Record<string, Purpose>> = {
  TREAT: 'direct_care',
  CAREMGT: 'direct_care',
  COC: 'direct_care',
  ETREAT: 'emergency_care',
  BTG: 'emergency_care',
  HRESCH: 'research',
  CLINTRCH: 'research',
  HQUALIMP: 'clinical_audit',
  PERFMSR: 'benchmarking',
  HOUTCOMS: 'benchmarking',
  HOPERAT: 'service_management',
  HPRGRP: 'contract_monitoring',
  HCOMPL: 'contract_monitoring',
  TRAIN: 'teaching_training',
  PATSFTY: 'incident_review',
  PATRQT: 'subject_access',
  FAMRQT: 'subject_access',
  PWATRNY: 'subject_access',
  HLEGAL: 'legal',
  PUBHLTH: 'public_health',
  THREAT: 'safeguarding',
  HMARKT: 'marketing',
  COVERAGE: 'insurance',
}

// ---- Geography -------------------------------------------------------------------------

export const ICB = {
  code: 'QHM',
  onsCode: 'E54000050',
  name: 'NHS North East and North Cumbria Integrated Care Board',
  regionCode: 'Y63',
  regionOnsCode: 'E40000012',
  regionName: 'North East and Yorkshire',
} as const

const trust = (ods: string, name: string): Recipient => ({ ods, name, type: 'nhs_trust' })
const judicial = (name: string): Recipient => ({ ods: null, name, type: 'police_judicial' })

export interface SubIcbLocation {
  code: string
  onsCode: string
  name: string
  acuteTrusts: readonly Recipient[]
  mentalHealthTrust: Recipient
  police: Recipient
  court: Recipient
}

const TEES_ESK_WEAR = trust('RX3', 'Tees, Esk and Wear Valleys NHS Foundation Trust')
const CNTW = trust('RX4', 'Cumbria, Northumberland, Tyne and Wear NHS Foundation Trust')
const NORTH_TEES = trust('RVW', 'North Tees and Hartlepool NHS Foundation Trust')
const SOUTH_TEES = trust('RTR', 'South Tees Hospitals NHS Foundation Trust')
const DURHAM_DARLINGTON = trust('RXP', 'County Durham and Darlington NHS Foundation Trust')
const NEWCASTLE = trust('RTD', 'The Newcastle upon Tyne Hospitals NHS Foundation Trust')
const GATESHEAD = trust('RR7', 'Gateshead Health NHS Foundation Trust')
const SUNDERLAND = trust('RLN', 'South Tyneside and Sunderland NHS Foundation Trust')
const NORTHUMBRIA = trust('RTF', 'Northumbria Healthcare NHS Foundation Trust')

const subIcb = (code: string, onsCode: string, rest: Omit<SubIcbLocation, 'code' | 'onsCode' | 'name'>): SubIcbLocation => ({
  code,
  onsCode,
  name: `NHS North East and North Cumbria ICB - ${code}`,
  ...rest,
})
const TEES_VALLEY = subIcb('16C', 'E38000247', {
  acuteTrusts: [NORTH_TEES, SOUTH_TEES],
  mentalHealthTrust: TEES_ESK_WEAR,
  police: judicial('Cleveland Police'),
  court: judicial('Teesside Combined Court Centre'),
})
const COUNTY_DURHAM = subIcb('84H', 'E38000234', {
  acuteTrusts: [DURHAM_DARLINGTON, SUNDERLAND],
  mentalHealthTrust: TEES_ESK_WEAR,
  police: judicial('Durham Constabulary'),
  court: judicial('Durham Crown Court'),
})
const NEWCASTLE_GATESHEAD = subIcb('13T', 'E38000212', {
  acuteTrusts: [NEWCASTLE, GATESHEAD],
  mentalHealthTrust: CNTW,
  police: judicial('Northumbria Police'),
  court: judicial('Newcastle upon Tyne Combined Court Centre'),
})
const SUNDERLAND_AREA = subIcb('00P', 'E38000176', {
  acuteTrusts: [SUNDERLAND, NEWCASTLE],
  mentalHealthTrust: CNTW,
  police: judicial('Northumbria Police'),
  court: judicial('Sunderland Magistrates Court'),
})
const NORTHUMBERLAND = subIcb('00L', 'E38000130', {
  acuteTrusts: [NORTHUMBRIA, NEWCASTLE],
  mentalHealthTrust: CNTW,
  police: judicial('Northumbria Police'),
  court: judicial('Newcastle upon Tyne Combined Court Centre'),
})

export interface Place {
  town: string
  postcodeDistrict: string
  council: string
  subIcb: SubIcbLocation
}

const place = (town: string, postcodeDistrict: string, council: string, location: SubIcbLocation): Place => ({
  town,
  postcodeDistrict,
  council,
  subIcb: location,
})

export const PLACES: readonly Place[] = [
  place('Hartlepool', 'TS24', 'Hartlepool Borough Council', TEES_VALLEY),
  place('Stockton-on-Tees', 'TS18', 'Stockton-on-Tees Borough Council', TEES_VALLEY),
  place('Durham', 'DH1', 'Durham County Council', COUNTY_DURHAM),
  place('Newcastle upon Tyne', 'NE1', 'Newcastle City Council', NEWCASTLE_GATESHEAD),
  place('Sunderland', 'SR1', 'Sunderland City Council', SUNDERLAND_AREA),
  place('Morpeth', 'NE61', 'Northumberland County Council', NORTHUMBERLAND),
  place('Middlesbrough', 'TS1', 'Middlesbrough Council', TEES_VALLEY),
  place('Chester-le-Street', 'DH3', 'Durham County Council', COUNTY_DURHAM),
  place('Gateshead', 'NE8', 'Gateshead Council', NEWCASTLE_GATESHEAD),
  place('Washington', 'NE38', 'Sunderland City Council', SUNDERLAND_AREA),
  place('Hexham', 'NE46', 'Northumberland County Council', NORTHUMBERLAND),
  place('Billingham', 'TS23', 'Stockton-on-Tees Borough Council', TEES_VALLEY),
  place('Consett', 'DH8', 'Durham County Council', COUNTY_DURHAM),
  place('Jesmond', 'NE2', 'Newcastle City Council', NEWCASTLE_GATESHEAD),
  place('Houghton-le-Spring', 'DH4', 'Sunderland City Council', SUNDERLAND_AREA),
  place('Alnwick', 'NE66', 'Northumberland County Council', NORTHUMBERLAND),
  place('Redcar', 'TS10', 'Redcar and Cleveland Borough Council', TEES_VALLEY),
  place('Stanley', 'DH9', 'Durham County Council', COUNTY_DURHAM),
  place('Heaton', 'NE6', 'Newcastle City Council', NEWCASTLE_GATESHEAD),
  place('Hetton-le-Hole', 'DH5', 'Sunderland City Council', SUNDERLAND_AREA),
  place('Blyth', 'NE24', 'Northumberland County Council', NORTHUMBERLAND),
  place('Guisborough', 'TS14', 'Redcar and Cleveland Borough Council', TEES_VALLEY),
  place('Bishop Auckland', 'DL14', 'Durham County Council', COUNTY_DURHAM),
  place('Fenham', 'NE4', 'Newcastle City Council', NEWCASTLE_GATESHEAD),
  place('Cramlington', 'NE23', 'Northumberland County Council', NORTHUMBERLAND),
  place('Darlington', 'DL1', 'Darlington Borough Council', TEES_VALLEY),
  place('Seaham', 'SR7', 'Durham County Council', COUNTY_DURHAM),
  place('Whickham', 'NE16', 'Gateshead Council', NEWCASTLE_GATESHEAD),
  place('Ashington', 'NE63', 'Northumberland County Council', NORTHUMBERLAND),
  place('Yarm', 'TS15', 'Stockton-on-Tees Borough Council', TEES_VALLEY),
  place('Peterlee', 'SR8', 'Durham County Council', COUNTY_DURHAM),
  place('Blaydon', 'NE21', 'Gateshead Council', NEWCASTLE_GATESHEAD),
  place('Berwick-upon-Tweed', 'TD15', 'Northumberland County Council', NORTHUMBERLAND),
  place('Thornaby', 'TS17', 'Stockton-on-Tees Borough Council', TEES_VALLEY),
  place('Newton Aycliffe', 'DL5', 'Durham County Council', COUNTY_DURHAM),
  place('Felling', 'NE10', 'Gateshead Council', NEWCASTLE_GATESHEAD),
  place('Ponteland', 'NE20', 'Northumberland County Council', NORTHUMBERLAND),
  place('Saltburn-by-the-Sea', 'TS12', 'Redcar and Cleveland Borough Council', TEES_VALLEY),
  place('Spennymoor', 'DL16', 'Durham County Council', COUNTY_DURHAM),
  place('Barnard Castle', 'DL12', 'Durham County Council', COUNTY_DURHAM),
]

export const PRACTICE_STREETS = [
  'Park Road', 'Victoria', 'Queensway', 'Church Lane', 'Station Road', 'Market Place', 'Northgate', 'Fernlea',
  'Riverside', 'The Grange', 'Oakwood', 'Millfield', 'Harbour View', 'Elm Tree', "St Andrew's", 'Castle View',
  'Westgate', 'Beechwood', 'Rosemount', 'Kingsway',
] as const
export const PRACTICE_KINDS = ['Surgery', 'Medical Centre', 'Health Centre', 'Medical Practice', 'Family Practice', 'Group Practice'] as const

// ---- Recipients shared by every practice -----------------------------------------------

export const NATIONAL = {
  icb: { ods: ICB.code, name: ICB.name, type: 'icb' },
  nhsEngland: { ods: 'X26', name: 'NHS England', type: 'nhs_england' },
  ambulance: { ods: 'RX6', name: 'North East Ambulance Service NHS Foundation Trust', type: 'ambulance_trust' },
  tertiary: NEWCASTLE,
  commissioningSupport: { ods: null, name: 'North of England Commissioning Support Unit', type: 'data_processor' },
  cohortStudy: { ods: null, name: 'Newcastle University Population Health Sciences Institute', type: 'research_org' },
  researchDatabase: { ods: null, name: 'Clinical Practice Research Datalink (MHRA)', type: 'research_org' },
  trialsNetwork: { ods: null, name: 'NIHR Research Delivery Network North East and North Cumbria', type: 'research_org' },
  surveyContractor: { ods: null, name: 'Northgate Survey Services (NHS approved contractor)', type: 'survey_contractor' },
  medicalSchool: { ods: null, name: 'Newcastle University School of Medicine', type: 'education' },
  healthProtection: { ods: null, name: 'UK Health Security Agency North East', type: 'other' },
  patient: { ods: null, name: 'The patient', type: 'patient_representative' },
  attorney: { ods: null, name: "Patient's attorney (lasting power of attorney)", type: 'patient_representative' },
  nearestRelative: { ods: null, name: 'Nearest relative (Mental Health Act 1983)', type: 'patient_representative' },
  solicitors: [
    { ods: null, name: 'Harland & Webb Solicitors LLP', type: 'solicitor' },
    { ods: null, name: 'Tees Law Partners', type: 'solicitor' },
  ],
  otherPractices: [
    { ods: 'A82011', name: 'Eastfield Surgery', type: 'gp_practice' },
    { ods: 'A83004', name: 'Moorside Medical Group', type: 'gp_practice' },
    { ods: 'A84012', name: 'Coquet Valley Practice', type: 'gp_practice' },
    { ods: 'A85007', name: 'Wear Valley Health Centre', type: 'gp_practice' },
    { ods: 'Y00519', name: 'Tyneside Homeless Health Practice', type: 'gp_practice' },
  ],
} as const satisfies Record<string, Recipient | readonly Recipient[]>

/** Recipients no demo agreement covers: only planted violations send data to them. */
export const UNAGREED = {
  genomicsCompany: { ods: null, name: 'Northern Genomics Analytics Ltd', type: 'research_org' },
  marketingFirm: { ods: null, name: 'Brightpath Health Marketing Ltd', type: 'other' },
  insurer: { ods: null, name: 'Northern Mutual Assurance plc', type: 'insurer' },
} as const satisfies Record<string, Recipient>

/** The organisations one practice shares with, from where it is. */
export interface PracticeRecipients {
  referral: readonly Recipient[]
  careCoordination: readonly Recipient[]
  pharmacy: Recipient
  safeguarding: readonly Recipient[]
  publicHealth: readonly Recipient[]
  legal: readonly Recipient[]
  police: Recipient
  incident: readonly Recipient[]
}

export function recipientsFor(at: Place, placeIndex: number): PracticeRecipients {
  const [mainAcute, secondAcute] = at.subIcb.acuteTrusts
  const council = at.council
  const adultSocialCare: Recipient = { ods: null, name: `${council} Adult Social Care`, type: 'social_care' }
  const childrensServices: Recipient = { ods: null, name: `${council} Children's Services`, type: 'social_care' }
  // One code per town, so two practices in the same town name the same pharmacy the same way.
  const pharmacy: Recipient = {
    ods: `F${'ABCDEFGHJK'[placeIndex % 10]}${String((100 + placeIndex * 17) % 1000).padStart(3, '0')}`,
    name: `${at.town} Community Pharmacy`,
    type: 'independent_contractor',
  }
  return {
    // Repeats weight the draw: most referrals go to the local acute trust.
    referral: [mainAcute!, mainAcute!, mainAcute!, mainAcute!, secondAcute!, at.subIcb.mentalHealthTrust, NATIONAL.tertiary],
    careCoordination: [adultSocialCare, adultSocialCare, at.subIcb.mentalHealthTrust, mainAcute!],
    pharmacy,
    safeguarding: [childrensServices, childrensServices, adultSocialCare, at.subIcb.police],
    publicHealth: [NATIONAL.healthProtection, NATIONAL.healthProtection, { ods: null, name: `${council} Public Health`, type: 'local_authority' }],
    legal: [at.subIcb.court, at.subIcb.police],
    police: at.subIcb.police,
    incident: [mainAcute!, NATIONAL.icb],
  }
}

// ---- Staff ----------------------------------------------------------------------------

export interface StaffRole {
  code: string
  display: string
}
const role = (code: string, display: string): StaffRole => ({ code, display })
export const ROLES = {
  gp: role('gp', 'GP'),
  nurse: role('practice_nurse', 'Practice nurse'),
  administrator: role('practice_administrator', 'Practice administrator'),
  secretary: role('medical_secretary', 'Medical secretary'),
  manager: role('practice_manager', 'Practice manager'),
  pharmacist: role('clinical_pharmacist', 'Clinical pharmacist'),
  dataLead: role('data_quality_lead', 'Data quality lead'),
} as const

/** A practice's staff by role: how many of each. */
export const STAFFING: ReadonlyArray<[StaffRole, number]> = [
  [ROLES.gp, 6],
  [ROLES.nurse, 4],
  [ROLES.administrator, 5],
  [ROLES.secretary, 2],
  [ROLES.manager, 1],
  [ROLES.pharmacist, 1],
  [ROLES.dataLead, 1],
]

// ---- Kinds of disclosure ----------------------------------------------------------------

/**
 * Which patients a kind of disclosure may name, so the bulk data breaks no rule by accident:
 * `clean` have never recorded an opt-out or a dissent (for purposes the opt-outs cover);
 * `no_dissent` never dissented from record sharing (direct care); `any` for purposes neither
 * the opt-outs nor the dissent cover.
 */
export type PatientPool = 'clean' | 'no_dissent' | 'any'

export interface DisclosureKind {
  name: string
  /** Relative frequency among everyday disclosures. */
  weight: number
  purpose: Purpose
  /** v3 PurposeOfUse codes; one is drawn per record. */
  purposeCodes: readonly string[]
  /** Also send our local purpose code, where the v3 code alone would not say which purpose. */
  localPurposeCoding: boolean
  recipients: (r: PracticeRecipients) => readonly Recipient[]
  legalBasis: LegalBasis | null
  /** Share of records that state the legal basis (practice systems often leave implied consent unsaid). */
  legalBasisShare: number
  dataLevel: DataLevel
  descriptions: readonly string[]
  roles: readonly StaffRole[]
  patients: PatientPool
  /** Extracts run overnight; letters and requests in office hours. */
  overnight: boolean
}

const kind = (k: Omit<DisclosureKind, 'legalBasisShare' | 'localPurposeCoding'> & Partial<DisclosureKind>): DisclosureKind => ({
  legalBasisShare: 1,
  localPurposeCoding: false,
  ...k,
})
const only = (r: Recipient) => () => [r]

export const DISCLOSURE_KINDS: readonly DisclosureKind[] = [
  kind({
    name: 'referral',
    weight: 400,
    purpose: 'direct_care',
    purposeCodes: ['TREAT', 'TREAT', 'TREAT', 'COC'],
    recipients: (r) => r.referral,
    legalBasis: 'implied_consent',
    legalBasisShare: 0.6,
    dataLevel: 'identifiable',
    descriptions: ['Referral letter', 'Referral letter', 'Two-week-wait referral', 'Summary care record', 'Test results', 'Medication list'],
    roles: [ROLES.gp, ROLES.gp, ROLES.secretary],
    patients: 'no_dissent',
    overnight: false,
  }),
  kind({
    name: 'care_coordination',
    weight: 80,
    purpose: 'direct_care',
    purposeCodes: ['CAREMGT', 'COC'],
    recipients: (r) => r.careCoordination,
    legalBasis: 'implied_consent',
    legalBasisShare: 0.6,
    dataLevel: 'identifiable',
    descriptions: ['Shared care plan', 'District nursing referral', 'Care needs assessment information'],
    roles: [ROLES.gp, ROLES.nurse],
    patients: 'no_dissent',
    overnight: false,
  }),
  kind({
    name: 'pharmacy',
    weight: 40,
    purpose: 'direct_care',
    purposeCodes: ['COC'],
    recipients: (r) => [r.pharmacy],
    legalBasis: 'implied_consent',
    legalBasisShare: 0.6,
    dataLevel: 'identifiable',
    descriptions: ['Medication review', 'Repeat prescription record'],
    roles: [ROLES.pharmacist, ROLES.gp],
    patients: 'no_dissent',
    overnight: false,
  }),
  kind({
    name: 'record_transfer',
    weight: 25,
    purpose: 'direct_care',
    purposeCodes: ['COC'],
    recipients: () => NATIONAL.otherPractices,
    legalBasis: 'implied_consent',
    legalBasisShare: 0.6,
    dataLevel: 'identifiable',
    descriptions: ['Full electronic health record (GP2GP transfer)'],
    roles: [ROLES.administrator],
    patients: 'no_dissent',
    overnight: false,
  }),
  kind({
    name: 'emergency',
    weight: 20,
    purpose: 'emergency_care',
    purposeCodes: ['ETREAT'],
    recipients: only(NATIONAL.ambulance),
    legalBasis: 'vital_interests',
    dataLevel: 'identifiable',
    descriptions: ['Summary care record', 'Medication and allergies'],
    roles: [ROLES.gp],
    patients: 'no_dissent',
    overnight: false,
  }),
  kind({
    name: 'cohort_study',
    weight: 15,
    purpose: 'research',
    purposeCodes: ['HRESCH'],
    recipients: only(NATIONAL.cohortStudy),
    legalBasis: 's251',
    dataLevel: 'identifiable',
    descriptions: ['Cohort study extract (s251 approved)'],
    roles: [ROLES.dataLead],
    patients: 'clean',
    overnight: true,
  }),
  kind({
    name: 'research_database',
    weight: 30,
    purpose: 'research',
    purposeCodes: ['HRESCH'],
    recipients: only(NATIONAL.researchDatabase),
    legalBasis: null,
    dataLevel: 'pseudonymised',
    descriptions: ['Coded primary care record extract'],
    roles: [ROLES.dataLead],
    patients: 'clean',
    overnight: true,
  }),
  kind({
    name: 'trial_recruitment',
    weight: 8,
    purpose: 'research',
    purposeCodes: ['CLINTRCH'],
    recipients: only(NATIONAL.trialsNetwork),
    legalBasis: 'explicit_consent',
    dataLevel: 'identifiable',
    descriptions: ['Trial eligibility screening data'],
    roles: [ROLES.gp, ROLES.dataLead],
    patients: 'clean',
    overnight: false,
  }),
  kind({
    name: 'national_audit',
    weight: 30,
    purpose: 'clinical_audit',
    purposeCodes: ['HQUALIMP'],
    recipients: only(NATIONAL.nhsEngland),
    legalBasis: null,
    dataLevel: 'pseudonymised',
    descriptions: ['National Diabetes Audit extract', 'National Cardiac Audit extract'],
    roles: [ROLES.dataLead],
    patients: 'clean',
    overnight: true,
  }),
  kind({
    name: 'local_audit',
    weight: 10,
    purpose: 'clinical_audit',
    purposeCodes: ['HQUALIMP'],
    recipients: only(NATIONAL.icb),
    legalBasis: null,
    // Pseudonymised: identifiable data for audit beyond the care team would need consent.
    dataLevel: 'pseudonymised',
    descriptions: ['Prescribing audit data (medicines optimisation team)'],
    roles: [ROLES.pharmacist],
    patients: 'clean',
    overnight: false,
  }),
  kind({
    name: 'commissioning',
    weight: 50,
    purpose: 'commissioning',
    purposeCodes: ['HOPERAT'],
    localPurposeCoding: true,
    recipients: only(NATIONAL.icb),
    legalBasis: null,
    dataLevel: 'pseudonymised',
    descriptions: ['Commissioning data set extract'],
    roles: [ROLES.dataLead, ROLES.manager],
    patients: 'clean',
    overnight: true,
  }),
  kind({
    name: 'risk_stratification',
    weight: 25,
    purpose: 'risk_stratification',
    purposeCodes: ['HOPERAT'],
    localPurposeCoding: true,
    recipients: only(NATIONAL.commissioningSupport),
    legalBasis: 's251',
    dataLevel: 'pseudonymised',
    descriptions: ['Risk stratification extract'],
    roles: [ROLES.dataLead],
    patients: 'clean',
    overnight: true,
  }),
  kind({
    name: 'benchmarking',
    weight: 15,
    purpose: 'benchmarking',
    purposeCodes: ['PERFMSR', 'HOUTCOMS'],
    recipients: only(NATIONAL.icb),
    legalBasis: null,
    dataLevel: 'anonymised',
    descriptions: ['Practice performance indicators'],
    roles: [ROLES.manager],
    patients: 'clean',
    overnight: true,
  }),
  kind({
    name: 'contract_monitoring',
    weight: 15,
    purpose: 'contract_monitoring',
    purposeCodes: ['HCOMPL', 'HPRGRP'],
    recipients: only(NATIONAL.nhsEngland),
    legalBasis: 'legal_obligation',
    dataLevel: 'pseudonymised',
    descriptions: ['QOF achievement extract (GPES)'],
    roles: [ROLES.manager],
    patients: 'clean',
    overnight: true,
  }),
  kind({
    name: 'patient_survey',
    weight: 8,
    purpose: 'surveys',
    purposeCodes: ['HQUALIMP'],
    localPurposeCoding: true,
    recipients: only(NATIONAL.surveyContractor),
    legalBasis: 's251',
    dataLevel: 'identifiable',
    descriptions: ['Contact details for the NHS Patient Survey Programme sample'],
    roles: [ROLES.manager],
    patients: 'clean',
    overnight: true,
  }),
  kind({
    name: 'teaching',
    weight: 5,
    purpose: 'teaching_training',
    purposeCodes: ['TRAIN'],
    recipients: only(NATIONAL.medicalSchool),
    legalBasis: 'explicit_consent',
    dataLevel: 'anonymised',
    descriptions: ['Anonymised case notes for teaching'],
    roles: [ROLES.gp],
    patients: 'clean',
    overnight: false,
  }),
  kind({
    name: 'safeguarding',
    weight: 25,
    purpose: 'safeguarding',
    purposeCodes: ['THREAT'],
    recipients: (r) => r.safeguarding,
    legalBasis: 'safeguarding_duty',
    dataLevel: 'identifiable',
    descriptions: ['Safeguarding report', 'Child protection conference report'],
    roles: [ROLES.gp],
    patients: 'any',
    overnight: false,
  }),
  kind({
    name: 'subject_access',
    weight: 25,
    purpose: 'subject_access',
    purposeCodes: ['PATRQT'],
    recipients: only(NATIONAL.patient),
    legalBasis: 'legal_obligation',
    dataLevel: 'identifiable',
    descriptions: ['Copy of medical record (subject access request)'],
    roles: [ROLES.administrator, ROLES.manager],
    patients: 'any',
    overnight: false,
  }),
  kind({
    name: 'solicitor_request',
    weight: 10,
    purpose: 'subject_access',
    purposeCodes: ['PWATRNY'],
    recipients: () => NATIONAL.solicitors,
    legalBasis: 'explicit_consent',
    dataLevel: 'identifiable',
    descriptions: ['Copy of medical record (request by solicitor with signed authority)'],
    roles: [ROLES.administrator],
    patients: 'any',
    overnight: false,
  }),
  kind({
    name: 'attorney_request',
    weight: 3,
    purpose: 'subject_access',
    purposeCodes: ['FAMRQT'],
    recipients: only(NATIONAL.attorney),
    legalBasis: 'explicit_consent',
    dataLevel: 'identifiable',
    descriptions: ['Copy of medical record (request by attorney)'],
    roles: [ROLES.administrator],
    patients: 'any',
    overnight: false,
  }),
  kind({
    name: 'court_or_police',
    weight: 8,
    purpose: 'legal',
    purposeCodes: ['HLEGAL'],
    recipients: (r) => r.legal,
    legalBasis: 'legal_obligation',
    dataLevel: 'identifiable',
    descriptions: ['Medical records under court order', 'Police request under a production order'],
    roles: [ROLES.manager, ROLES.gp],
    patients: 'any',
    overnight: false,
  }),
  kind({
    name: 'public_health',
    weight: 15,
    purpose: 'public_health',
    purposeCodes: ['PUBHLTH'],
    recipients: (r) => r.publicHealth,
    legalBasis: 'legal_obligation',
    dataLevel: 'identifiable',
    descriptions: ['Notifiable disease report', 'Outbreak contact information'],
    roles: [ROLES.gp, ROLES.nurse],
    patients: 'any',
    overnight: false,
  }),
  kind({
    name: 'incident_review',
    weight: 4,
    purpose: 'incident_review',
    purposeCodes: ['PATSFTY'],
    recipients: (r) => r.incident,
    legalBasis: 'legal_obligation',
    dataLevel: 'identifiable',
    descriptions: ['Serious incident investigation information'],
    roles: [ROLES.manager],
    patients: 'any',
    overnight: false,
  }),
  kind({
    name: 'nearest_relative',
    weight: 1,
    purpose: 'legal',
    purposeCodes: ['HLEGAL'],
    recipients: only(NATIONAL.nearestRelative),
    legalBasis: 'mental_health_act',
    dataLevel: 'identifiable',
    descriptions: ['Information for the nearest relative under the Mental Health Act 1983'],
    roles: [ROLES.gp],
    patients: 'any',
    overnight: false,
  }),
]

export function disclosureKind(name: string): DisclosureKind {
  const found = DISCLOSURE_KINDS.find((k) => k.name === name)
  if (!found) throw new Error(`no disclosure kind named ${name}`)
  return found
}
