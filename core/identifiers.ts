import crypto from 'node:crypto'

/**
 * The one detector for patient identifiers in collected and imported text (issue 12, finding 3;
 * decision 016). Practice systems put NHS numbers and people's names in fields meant for
 * organisations and codes; everything a collector or importer stores as text goes through here.
 */

/** NHS number check digit (modulus 11), as NHS Digital specifies it. */
export function isValidNhsNumber(value: string): boolean {
  const digits = value.replace(/\s+/g, '')
  if (!/^\d{10}$/.test(digits)) return false
  let sum = 0
  for (let i = 0; i < 9; i++) sum += Number(digits[i]) * (10 - i)
  const check = 11 - (sum % 11)
  if (check === 10) return false
  return (check === 11 ? 0 : check) === Number(digits[9])
}

/**
 * Ten digits in any grouping (3-3-4, 5-5, none) with up to three separators between any two
 * (spaces, tabs, no-break spaces, dots, hyphens, underscores, slashes), not part of a longer run
 * of digits. A colon and two digits after the tenth digit make it a clock time, not a number, so
 * "2026-03-02 09:00" is not one ("943 476 6044: notes" is).
 */
const NHS_NUMBER_LIKE = /(?<!\d)\d(?:[ \t\u00a0.\-_/]{0,3}\d){9}(?!\d|:\d\d)/g

export interface NhsNumberMatch {
  index: number
  length: number
  /** True when the check digit is right: certainly shaped as an NHS number. */
  valid: boolean
}

/** Every NHS-number-like sequence in `text`, valid check digit or not. */
export function findNhsNumbers(text: string): NhsNumberMatch[] {
  if (!/\d/.test(text)) return []
  return [...text.matchAll(NHS_NUMBER_LIKE)].map((m) => ({
    index: m.index!,
    length: m[0].length,
    valid: isValidNhsNumber(m[0].replace(/\D/g, '')),
  }))
}

/**
 * True when `text` holds ten digits that could be an NHS number. The check digit is not
 * required: a mistyped NHS number still points at (nearly) one patient, and an ordinary
 * ten-digit number in a free-text field is rare enough to lose (decision 016).
 */
export function hasNhsNumber(text: string | null | undefined): boolean {
  return !!text && findNhsNumbers(text).length > 0
}

export const NHS_NUMBER_MASK = '[NHS number removed]'

/** `text` with every NHS-number-like sequence replaced by a mask that keeps no digit of it. */
export function maskNhsNumbers(text: string): string
export function maskNhsNumbers(text: string | null): string | null
export function maskNhsNumbers(text: string | null): string | null {
  if (text === null || !/\d/.test(text)) return text
  return text.replace(NHS_NUMBER_LIKE, NHS_NUMBER_MASK)
}

/**
 * A value as a reason may quote it: NHS-number-like sequences masked, and cut to `max`
 * characters, so a reason never carries an identifier or a megabyte of someone's text.
 */
export function quoteSafely(value: string, max = 60): string {
  const masked = maskNhsNumbers(value)
  return masked.length > max ? `${masked.slice(0, max)}…` : masked
}

const MAX_ID_LENGTH = 200

/**
 * A source's record id or version as stored and shown. One that holds what could be an NHS
 * number (or is absurdly long) is replaced by a keyed digest of itself: the same record keeps
 * the same id, so re-reads stay duplicates, and nobody without the key can recover the number
 * (a plain hash of ten digits is reversed by trying them all).
 */
export function storableId(id: string | null, key: string, sourceId: number): string | null {
  if (id === null || (id.length <= MAX_ID_LENGTH && !hasNhsNumber(id))) return id
  return `id:${crypto.createHmac('sha256', key).update(`${sourceId}:${id}`).digest('hex').slice(0, 32)}`
}

/**
 * Free text as a collector or importer stores it: NHS-number-like sequences masked, and no
 * longer than `maxChars`, cut with a marker (decision 016). A source's 10 MB "description" is a
 * mistake or an attack; the first thousand characters say what was disclosed.
 */
export function storableText(text: string | null | undefined, maxChars: number): string | null {
  if (text === null || text === undefined || text === '') return null
  if (text.length <= maxChars) return maskNhsNumbers(text)
  // Masked before the cut, with room past it, so the cut cannot leave part of a number behind.
  return `${maskNhsNumbers(text.slice(0, maxChars + 40)).slice(0, maxChars)}… [cut at ${maxChars.toLocaleString('en-GB')} characters]`
}

// --- People as recipients ------------------------------------------------------------------

const RELATIONS =
  'mother|father|mum|mom|dad|parent|son|daughter|child|wife|husband|spouse|partner|civil partner|sister|brother|sibling|' +
  'grandmother|grandfather|grandparent|grandson|granddaughter|aunt|uncle|niece|nephew|cousin|guardian|carer|friend|' +
  'relative|next of kin|family member|representative|advocate|attorney|executor|neighbour'
/** "mother of patient", "carer of the patient", "the patient's wife", "patient (self)". */
const RELATION_OF_PATIENT = new RegExp(
  `\\b(?:${RELATIONS})\\s+(?:of|to|for)\\s+(?:the\\s+)?(?:patient|pt)\\b|\\bpatient'?s\\s+(?:${RELATIONS})\\b`,
  'i',
)
/** The whole name is a role, not an organisation: "Patient", "the patient", "Relative", "Next of kin". */
const PERSON_ROLE_ONLY = new RegExp(
  `^(?:the\\s+)?(?:patient|pt|self|patient\\s*\\(?self\\)?|patient\\s+(?:himself|herself|themselves|themself)|(?:a\\s+|the\\s+)?(?:${RELATIONS}))\\.?$`,
  'i',
)
const HONORIFIC_NAME = /(?:^|[\s(,])(?:mr|mrs|ms|miss|mx|master|dr|prof|professor|sir|dame|lady|lord|rev|revd)\.?\s+[A-Z][A-Za-z'’-]*/i
/** Words that make a name an organisation's ("Dr Shah & Partners", "City University"). */
const ORGANISATION_WORDS = new Set(
  (
    'surgery surgeries practice partners partnership medical health healthcare trust nhs foundation hospital hospitals clinic clinics ' +
    'centre center centres service services council authority police constabulary court courts tribunal ltd limited llp plc inc ' +
    'solicitors solicitor law legal chambers insurance insurers insurer university college school academy institute agency ' +
    'department ministry office board commission england scotland wales icb ccg icS group unit team pharmacy chemist chemists ' +
    'dental dentist dentists dentistry opticians optician optometrists care home homes hospice ambulance fire rescue research survey ' +
    'bank company association society charity network consortium federation alliance trustees registry register programme ' +
    'project laboratory laboratories lab labs county borough city district region regional national local community social ' +
    'probation prison hmrc dwp directorate bureau systems solutions digital data analytics gp pcn ics hmcts dvla coroner ' +
    'coroners court-appointed &'
  )
    .toLowerCase()
    .split(/\s+/),
)
const hasOrganisationWord = (name: string) =>
  name
    .toLowerCase()
    .split(/[^a-z&]+/)
    .some((w) => ORGANISATION_WORDS.has(w))
/** Two to four capitalised words or initials and nothing else: "John Doe", "Jane A. Doe". */
const BARE_PERSONAL_NAME = /^(?:[A-Z][a-z'’-]+|[A-Z]\.?)(?:\s+(?:[A-Z][a-z'’-]+|[A-Z]\.?)){1,3}$/

/** True when the text says it is the patient or someone close to them ("mother of patient", "Relative"). */
export function namesPatientOrRelative(text: string | null | undefined): boolean {
  const t = (text ?? '').trim().replace(/\s+/g, ' ')
  return t !== '' && (RELATION_OF_PATIENT.test(t) || PERSON_ROLE_ONLY.test(t))
}

export type PersonSignal =
  /** The text says the recipient is the patient or someone close to them: store the type, not the name. */
  | 'patient_or_representative'
  /** The text reads as a person's name and nothing says it is an organisation's: do not guess. */
  | 'personal_name'

/**
 * Whether a recipient's name names a person rather than an organisation. Organisation words
 * ("Surgery", "Ltd", "Council") win over a title, since GP practices are often named after a
 * doctor; a relationship to the patient wins over everything.
 */
export function personSignal(name: string | null | undefined): PersonSignal | null {
  const text = (name ?? '').trim().replace(/\s+/g, ' ')
  if (text === '') return null
  if (namesPatientOrRelative(text)) return 'patient_or_representative'
  if (hasOrganisationWord(text)) return null
  if (HONORIFIC_NAME.test(text)) return 'patient_or_representative'
  if (BARE_PERSONAL_NAME.test(text)) return 'personal_name'
  return null
}
