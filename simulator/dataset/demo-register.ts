/** What the demo records besides the practices' data: data sharing agreements and a DSPT register. */
import { PURPOSE_OF_USE, type DataLevel, type Purpose, type Recipient, type RecipientType } from '../catalogue/codes.js'
import { DISCLOSURE_KINDS } from '../catalogue/disclosure-kinds.js'
import { ICB, recipientsFor } from '../catalogue/places.js'
import { DAY, windowOf, type ResolvedDatasetOptions } from './options.js'
import { placeOf } from './practices.js'
import type { Dataset } from './types.js'

export interface DemoAgreement {
  reference: string
  /** Null for a recipient without an ODS code: match it by name and type. */
  recipientOds: string | null
  recipientName: string
  recipientType: RecipientType
  /** Local purpose codes (purposes table). */
  purposes: Purpose[]
  dataLevel: DataLevel
  validFrom: string
  /** Inclusive; null when open-ended. */
  validTo: string | null
  practices: string[]
  description: string
}

const DATA_LEVEL_RANK: Record<DataLevel, number> = { anonymised: 0, pseudonymised: 1, identifiable: 2 }

/**
 * Agreements that cover every disclosure the simulator makes except the planted ones, whatever
 * purposes a rule engine checks: for each recipient, the purposes it receives (both the local
 * purpose and the one its v3 code maps to) at the most identifiable level it receives them.
 */
export function demoAgreements(dataset: Pick<Dataset, 'options' | 'practices'>): DemoAgreement[] {
  interface Use {
    recipient: Recipient
    levels: Map<Purpose, DataLevel>
    practicesByPurpose: Map<Purpose, Set<string>>
  }
  const uses = new Map<string, Use>()
  for (const { practice } of dataset.practices) {
    const { place, placeIndex } = placeOf(practice)
    const recipients = recipientsFor(place, placeIndex)
    for (const kind of DISCLOSURE_KINDS) {
      const purposes = new Set<Purpose>([kind.purpose, ...kind.purposeCodes.map((c) => PURPOSE_OF_USE[c]!)])
      for (const recipient of kind.recipients(recipients)) {
        const key = recipient.ods ?? `${recipient.type}|${recipient.name}`
        const use: Use = uses.get(key) ?? { recipient, levels: new Map(), practicesByPurpose: new Map() }
        uses.set(key, use)
        for (const purpose of purposes) {
          const level = use.levels.get(purpose)
          if (!level || DATA_LEVEL_RANK[kind.dataLevel] > DATA_LEVEL_RANK[level]) use.levels.set(purpose, kind.dataLevel)
          const practices = use.practicesByPurpose.get(purpose) ?? new Set()
          practices.add(practice.odsCode)
          use.practicesByPurpose.set(purpose, practices)
        }
      }
    }
  }

  const { start, end } = windowOf(dataset.options)
  const validFrom = `${new Date(start).getUTCFullYear() - 2}-04-01`
  const renewalDue = `${new Date(end).getUTCFullYear() + 1}-03-31`
  const agreements: Omit<DemoAgreement, 'reference'>[] = []
  for (const { recipient, levels, practicesByPurpose } of uses.values()) {
    for (const dataLevel of ['identifiable', 'pseudonymised', 'anonymised'] as const) {
      const purposes = [...levels]
        .filter(([, level]) => level === dataLevel)
        .map(([purpose]) => purpose)
        .sort()
      if (purposes.length === 0) continue
      const practices = [...new Set(purposes.flatMap((p) => [...practicesByPurpose.get(p)!]))].sort()
      agreements.push({
        recipientOds: recipient.ods,
        recipientName: recipient.name,
        recipientType: recipient.type,
        purposes,
        dataLevel,
        validFrom,
        validTo: null,
        practices,
        description: `${purposes.map((p) => p.replaceAll('_', ' ')).join(', ')}: ${dataLevel} data to ${recipient.name}`,
      })
    }
  }
  agreements.sort((a, b) => a.recipientName.localeCompare(b.recipientName, 'en') || a.dataLevel.localeCompare(b.dataLevel))
  return agreements.map((a, i) => ({
    reference: `DSA-${ICB.code}-${String(i + 1).padStart(3, '0')}`,
    ...a,
    // Some agreements have a fixed term (still in force at the end of the period) rather than none.
    validTo: i % 3 === 2 ? renewalDue : null,
  }))
}

// ---- Privacy notices and the DSPT register for the demo ---------------------------------------
export function registerValidFrom(o: ResolvedDatasetOptions): string {
  return `${new Date(windowOf(o).start).getUTCFullYear() - 2}-04-01`
}

/**
 * The community pharmacy of every fifth town had its DSPT status drop to "approaching standards"
 * for ten days a third of the way into the period: its disclosures then break the "safe systems"
 * promise of practices that make it.
 */
export function pharmacyLapseOf(o: ResolvedDatasetOptions, placeIndex: number): { from: string; to: string } | null {
  if (placeIndex % 5 !== 1) return null
  const from = windowOf(o).start + Math.floor(o.days / 3) * DAY
  return { from: new Date(from).toISOString().slice(0, 10), to: new Date(from + 9 * DAY).toISOString().slice(0, 10) }
}

export interface DemoDsptStatus {
  recipientOds: string | null
  recipientName: string
  recipientType: RecipientType
  status: 'standards_met' | 'approaching_standards'
  validFrom: string
  validTo: string | null
}

/**
 * The organisation register's DSPT statuses for the demo: "standards met" for every recipient
 * the simulated practices share with, except the planted-only ones (UNAGREED, no status at all)
 * and the pharmacies whose status lapsed (pharmacyLapseOf). The patient needs none.
 */
export function demoDsptRegister(dataset: Pick<Dataset, 'options' | 'practices'>): DemoDsptStatus[] {
  const o = dataset.options
  const rows = new Map<string, DemoDsptStatus[]>()
  for (const { practice } of dataset.practices) {
    const { place, placeIndex } = placeOf(practice)
    const recipients = recipientsFor(place, placeIndex)
    for (const kind of DISCLOSURE_KINDS) {
      for (const r of kind.recipients(recipients)) {
        const key = r.ods ?? `${r.type}|${r.name}`
        if (r.type === 'patient_representative' || rows.has(key)) continue
        const base = { recipientOds: r.ods, recipientName: r.name, recipientType: r.type }
        const list: DemoDsptStatus[] = [{ ...base, status: 'standards_met', validFrom: registerValidFrom(o), validTo: null }]
        const lapse = r === recipients.pharmacy ? pharmacyLapseOf(o, placeIndex) : null
        if (lapse) list.push({ ...base, status: 'approaching_standards', validFrom: lapse.from, validTo: lapse.to })
        rows.set(key, list)
      }
    }
  }
  return [...rows.values()].flat()
}
