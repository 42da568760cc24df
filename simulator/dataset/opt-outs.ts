import type { Consent } from 'fhir/r4'

const OPT_OUT_KIND_BY_CODE: Readonly<Record<string, 'ndop' | 'type1'>> = {
  '370856009': 'ndop',
  '827241000000103': 'type1',
  '9Nu0': 'type1',
}

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
