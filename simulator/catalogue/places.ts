/**
 * Where the simulated practices are and who they share with: geography (one ICB in the North
 * East), practice names, and the recipient organisations. Organisation names and codes are
 * plausible, not authoritative: this is test data.
 */
import type { Recipient } from './codes.js'

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
  'Park Road',
  'Victoria',
  'Queensway',
  'Church Lane',
  'Station Road',
  'Market Place',
  'Northgate',
  'Fernlea',
  'Riverside',
  'The Grange',
  'Oakwood',
  'Millfield',
  'Harbour View',
  'Elm Tree',
  "St Andrew's",
  'Castle View',
  'Westgate',
  'Beechwood',
  'Rosemount',
  'Kingsway',
] as const
export const PRACTICE_KINDS = [
  'Surgery',
  'Medical Centre',
  'Health Centre',
  'Medical Practice',
  'Family Practice',
  'Group Practice',
] as const

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
    publicHealth: [
      NATIONAL.healthProtection,
      NATIONAL.healthProtection,
      { ods: null, name: `${council} Public Health`, type: 'local_authority' },
    ],
    legal: [at.subIcb.court, at.subIcb.police],
    police: at.subIcb.police,
    incident: [mainAcute!, NATIONAL.icb],
  }
}
