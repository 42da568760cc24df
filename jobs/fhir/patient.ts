import { isValidNhsNumber, pseudonymiseLocalReference, pseudonymiseNhsNumber } from '../pseudonym.js'
import { NHS_NUMBER_SYSTEM } from './codes.js'
import type { Reference } from './schemas.js'

export type PatientResult = { pseudonym: string } | { error: string }

/** Patient/123, whether relative, absolute or versioned (Patient/123/_history/2): the same patient. */
const PATIENT_REFERENCE = /(?:^|\/)(Patient\/[A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/

export function carriesNhsNumber(ref: Reference | undefined): boolean {
  return ref?.identifier?.system === NHS_NUMBER_SYSTEM
}

/**
 * The pseudonym for the patient a Reference points to: from the NHS number when it carries
 * one (which must be valid: a mistyped number would silently become another patient), else
 * from the source-local reference or identifier. Null when the Reference names no patient.
 * The number itself never leaves this function, not even in an error message.
 */
export function patientPseudonym(ref: Reference | undefined, key: string, sourceId: number): PatientResult | null {
  if (!ref) return null
  if (carriesNhsNumber(ref)) {
    const digits = (ref.identifier!.value ?? '').replace(/\s+/g, '')
    if (!/^\d{10}$/.test(digits)) return { error: 'patient NHS number is not 10 digits' }
    if (!isValidNhsNumber(digits)) return { error: `patient NHS number ending ${digits.slice(-3)} fails the modulus-11 check` }
    return { pseudonym: pseudonymiseNhsNumber(key, digits) }
  }
  const local = ref.reference?.match(PATIENT_REFERENCE)?.[1]
  if (local) return { pseudonym: pseudonymiseLocalReference(key, sourceId, local) }
  if (ref.identifier?.value) {
    return { pseudonym: pseudonymiseLocalReference(key, sourceId, `${ref.identifier.system ?? ''}|${ref.identifier.value}`) }
  }
  return null
}

export function isPatientReference(ref: Reference | undefined): boolean {
  return carriesNhsNumber(ref) || PATIENT_REFERENCE.test(ref?.reference ?? '')
}
