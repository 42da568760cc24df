// The IHE BALP PrivacyDisclosure.Source profile's required elements, written from the profile
// (IHE ITI Basic Audit Log Patterns, AuditPrivacyDisclosureSource, on AuditEvent R4), as checks a
// test runs on every exported line. No network validator: each check names the rule it holds.

type Json = any

const DCM = 'http://dicom.nema.org/resources/ontology/DCM'
const is = (c: Json, system: string, code: string) => c?.system === system && c?.code === code
const conceptHas = (cc: Json, system: string, code: string) => (cc?.coding ?? []).some((c: Json) => is(c, system, code))
const sameReference = (a: Json, b: Json) => JSON.stringify(a) === JSON.stringify(b)

/** The rules the event breaks, as sentences; [] when it conforms. */
export function balpSourceProblems(e: Json): string[] {
  const problems: string[] = []
  const need = (ok: unknown, rule: string) => {
    if (!ok) problems.push(rule)
  }
  need(e?.resourceType === 'AuditEvent', 'resourceType is AuditEvent')
  need(typeof e?.id === 'string' && /^[A-Za-z0-9\-.]{1,64}$/.test(e.id), 'id is a FHIR id')
  need(
    (e?.meta?.profile ?? []).includes('https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PrivacyDisclosure.Source'),
    'meta.profile claims PrivacyDisclosure.Source',
  )
  need(e?.modifierExtension === undefined, 'modifierExtension 0..0')
  // type 1..1 = DCM#110106 "Export" (a Coding in R4)
  need(is(e?.type, DCM, '110106'), 'type = DCM#110106 (Export)')
  // subtype 1..*, at least one iso-21089-lifecycle#disclose
  need(
    Array.isArray(e?.subtype) &&
      e.subtype.some((c: Json) => is(c, 'http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle', 'disclose')),
    'subtype includes iso-21089-lifecycle#disclose',
  )
  need(e?.action === 'R', 'action = R')
  const instant = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/
  need(typeof e?.recorded === 'string' && instant.test(e.recorded), 'recorded 1..1, an instant')
  need(['0', '4', '8', '12'].includes(e?.outcome), 'outcome 1..1 (audit-event-outcome code)')
  // purposeOfEvent is Must Support: the export always fills it.
  need(Array.isArray(e?.purposeOfEvent) && e.purposeOfEvent.length > 0, 'purposeOfEvent present (Must Support)')
  // agent 2..*, sliced by type: source 1..1 and recipient 1..1, each with who 1..1 and network 1..1
  const agents: Json[] = Array.isArray(e?.agent) ? e.agent : []
  need(agents.length >= 2, 'agent 2..*')
  for (const a of agents) need(typeof a.requestor === 'boolean', 'agent.requestor 1..1 (R4)')
  const sources = agents.filter((a) => conceptHas(a.type, DCM, '110153'))
  const recipients = agents.filter((a) => conceptHas(a.type, DCM, '110152'))
  need(sources.length === 1, 'agent[source] (DCM#110153) 1..1')
  need(recipients.length === 1, 'agent[recipient] (DCM#110152) 1..1')
  for (const [name, a] of [
    ['source', sources[0]],
    ['recipient', recipients[0]],
  ] as const) {
    if (!a) continue
    need(a.who && (a.who.reference || a.who.identifier || a.who.display), `agent[${name}].who 1..1`)
    need(a.network && typeof a.network.address === 'string' && a.network.address.length > 0, `agent[${name}].network 1..1 with an address`)
    need(['1', '2', '3', '4', '5'].includes(a.network?.type), `agent[${name}].network.type is a network-type code`)
  }
  // AuditEvent.source 1..1 with observer 1..1 (R4), and val-audit-source: agent[source].who = source.observer
  need(e?.source?.observer, 'source.observer 1..1')
  need(sources[0] && sameReference(sources[0].who, e?.source?.observer), 'val-audit-source: agent[source].who = source.observer')
  // entity 2..*, with the patient slice 1..1: type audit-entity-type#1, role object-role#1, what 1..1 Reference(Patient)
  const entities: Json[] = Array.isArray(e?.entity) ? e.entity : []
  need(entities.length >= 2, 'entity 2..* (patient and data)')
  const patients = entities.filter(
    (x) =>
      is(x.type, 'http://terminology.hl7.org/CodeSystem/audit-entity-type', '1') &&
      is(x.role, 'http://terminology.hl7.org/CodeSystem/object-role', '1'),
  )
  need(patients.length === 1, 'entity[patient] 1..1 (type Person, role Patient)')
  const what = patients[0]?.what
  need(
    what && (what.reference?.startsWith('Patient/') || (what.type === 'Patient' && what.identifier?.value)),
    'entity[patient].what 1..1, Reference(Patient)',
  )
  return problems
}
