import { describe, expect, it } from 'vitest'
import { assertNoPatientIdentifiers, PatientDataInMailError } from '../../../core/mail/transport.js'

// A scheduled report's mail links its report by id (a UUID). Ten of a UUID's digits, read across
// its hyphens, pass the NHS number check for about 2% of ids, and the guard refused those mails
// at random; UUIDs are now set aside before the check, which still refuses a real NHS number.

describe('the mail guard', () => {
  it('lets a report link through whatever digits its id holds, and still refuses an NHS number or a pseudonym', () => {
    const link = 'Sign in and download it: https://ledger.example.nhs.uk/reports/1b2c3d4e-9434-7659-19ab-0123456789ab/pdf'
    expect(() => assertNoPatientIdentifiers({ subject: 'Sharing Ledger: report ready', text: link })).not.toThrow()
    expect(() => assertNoPatientIdentifiers({ subject: 'x', text: `${link}\nPatient 943 476 5919` })).toThrow(PatientDataInMailError)
    expect(() => assertNoPatientIdentifiers({ subject: 'x', text: `${link}\nfor P-7KQ2-M9XD-4TZA` })).toThrow(PatientDataInMailError)
  })
})
