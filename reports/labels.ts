import type { Db } from './queries/index.js'
import { listCodeLists } from './queries/index.js'
import {
  CHOICE_DECISION_LABELS,
  CHOICE_KIND_LABELS,
  DATA_LEVEL_LABELS,
  DATA_LEVEL_MEANINGS,
  FINDING_STATUS_LABELS,
  FINDING_STATUS_MEANINGS,
  SEVERITY_LABELS,
  SEVERITY_MEANINGS,
  OVERRIDE_KIND_LABELS,
  OVERRIDE_REASON_LABELS,
  VERDICT_LABELS,
} from '../core/labels.js'
import { getRule } from '../core/findings/index.js'
import { drawTable } from './pdf/table/index.js'
import { heading, paragraph } from './pdf/heading.js'
import type { Doc } from './pdf/document.js'

// Reports print labels, never raw codes (issue 15): the words come from the code tables
// (purposes, recipient types, legal bases: db/queries/codes.ts, read inside the report's
// snapshot), core/labels.ts and the rule catalogue (core/findings/index.ts); nothing is copied
// here. Every code a report prints a label for is remembered, so the evidence pack can end with
// a glossary of exactly those codes, their labels and what they mean.

export const GLOSSARY_KINDS = {
  purpose: 'Purpose',
  recipient_type: 'Recipient type',
  legal_basis: 'Legal basis',
  data_level: 'Data level',
  rule: 'Compliance rule',
  finding_status: 'Finding status',
  severity: 'Severity',
  override_kind: 'Override kind',
  override_reason: 'Override reason',
  verdict: 'Review verdict',
  choice: 'Patient choice',
} as const
export type GlossaryKind = keyof typeof GLOSSARY_KINDS

interface Entry {
  label: string
  meaning: string
}

/** The first sentence of a rule's explanation: the glossary's meaning (the full text is on the finding's page). */
function firstSentence(text: string): string {
  const m = /^(.+?[.;])\s/.exec(text)
  return m ? m[1]! : text
}

export class Labels {
  private readonly used = new Map<GlossaryKind, Set<string>>()

  private constructor(
    private readonly purposes: Map<string, { label: string; opt_out_applies: boolean; prohibited: boolean }>,
    private readonly recipientTypes: Map<string, string>,
    private readonly legalBases: Map<string, { label: string; exempts_opt_out: boolean }>,
  ) {}

  static async load(db: Db): Promise<Labels> {
    const { purposes, recipientTypes: types, legalBases: bases } = await listCodeLists(db)
    return new Labels(
      new Map(purposes.map((p) => [p.code, p])),
      new Map(types.map((t) => [t.code, t.label])),
      new Map(bases.map((b) => [b.code, b])),
    )
  }

  private note(kind: GlossaryKind, code: string): void {
    let s = this.used.get(kind)
    if (!s) this.used.set(kind, (s = new Set()))
    s.add(code)
  }

  /** Labels already looked up, by kind and code (the 100,000-row log asks for the same few again and again). */
  private readonly cache = new Map<string, string>()

  /** The label of a code (remembered for the glossary); an unknown code is printed as it is. */
  label(kind: GlossaryKind, code: string | null | undefined): string {
    if (code === null || code === undefined || code === '') return 'none recorded'
    const key = `${kind}\u0000${code}`
    let label = this.cache.get(key)
    if (label === undefined) {
      this.note(kind, code)
      label = this.entry(kind, code)?.label ?? code
      this.cache.set(key, label)
    }
    return label
  }

  purpose = (code: string) => this.label('purpose', code)
  recipientType = (code: string) => this.label('recipient_type', code)
  legalBasis = (code: string | null | undefined) => this.label('legal_basis', code)
  dataLevel = (code: string) => this.label('data_level', code)
  rule = (id: string) => this.label('rule', id)
  findingStatus = (s: string) => this.label('finding_status', s)
  severity = (s: string) => this.label('severity', s)
  overrideKind = (code: string) => this.label('override_kind', code)
  overrideReason = (code: string | null | undefined) => this.label('override_reason', code)
  verdict = (code: string) => this.label('verdict', code)
  /** A patient choice, e.g. "National data opt-out: dissent (opted out)"; remembered as "ndop deny". */
  choice = (kind: string, decision: string) => this.label('choice', `${kind} ${decision}`)

  private entry(kind: GlossaryKind, code: string): Entry | undefined {
    switch (kind) {
      case 'purpose': {
        const p = this.purposes.get(code)
        return (
          p && {
            label: p.label,
            meaning: p.prohibited
              ? 'A prohibited purpose: data must never be shared for it.'
              : p.opt_out_applies
                ? 'Beyond direct care: national data opt-outs and Type 1 opt-outs apply.'
                : 'Opt-outs do not apply to this purpose.',
          }
        )
      }
      case 'recipient_type': {
        const t = this.recipientTypes.get(code)
        return t === undefined ? undefined : { label: t, meaning: 'A kind of organisation (or person) receiving data.' }
      }
      case 'legal_basis': {
        const b = this.legalBases.get(code)
        return (
          b && {
            label: b.label,
            meaning: b.exempts_opt_out ? 'Sets a patient’s opt-out aside.' : 'Does not set a patient’s opt-out aside.',
          }
        )
      }
      case 'data_level': {
        const l = DATA_LEVEL_LABELS[code as keyof typeof DATA_LEVEL_LABELS]
        return l && { label: l, meaning: DATA_LEVEL_MEANINGS[code as keyof typeof DATA_LEVEL_MEANINGS] }
      }
      case 'rule': {
        const r = getRule(code)
        return r && { label: r.title, meaning: firstSentence(r.explanation) }
      }
      case 'finding_status': {
        const s = FINDING_STATUS_LABELS[code as keyof typeof FINDING_STATUS_LABELS]
        return s && { label: s, meaning: FINDING_STATUS_MEANINGS[code as keyof typeof FINDING_STATUS_MEANINGS] }
      }
      case 'severity': {
        const l = SEVERITY_LABELS[code as keyof typeof SEVERITY_LABELS]
        return l && { label: l, meaning: SEVERITY_MEANINGS[code as keyof typeof SEVERITY_MEANINGS] }
      }
      case 'override_kind':
        return OVERRIDE_KIND_LABELS[code]
          ? { label: OVERRIDE_KIND_LABELS[code]!, meaning: 'How a person reached or shared the record outside the usual controls.' }
          : undefined
      case 'override_reason':
        return OVERRIDE_REASON_LABELS[code]
          ? { label: OVERRIDE_REASON_LABELS[code]!, meaning: 'HL7 v3 consent override reason given by the person.' }
          : undefined
      case 'verdict': {
        const v = VERDICT_LABELS[code as keyof typeof VERDICT_LABELS]
        return v && { label: v, meaning: 'The Caldicott guardian’s conclusion on an override.' }
      }
      case 'choice': {
        const [k, d] = code.split(' ')
        return CHOICE_KIND_LABELS[k!] && CHOICE_DECISION_LABELS[d!]
          ? { label: `${CHOICE_KIND_LABELS[k!]}: ${CHOICE_DECISION_LABELS[d!]}`, meaning: 'A choice the patient recorded at the practice.' }
          : undefined
      }
    }
  }

  /** Every code printed so far, by kind then code: [kind, code, label, meaning]. */
  glossaryRows(): Array<[GlossaryKind, string, string, string]> {
    const rows: Array<[GlossaryKind, string, string, string]> = []
    for (const kind of Object.keys(GLOSSARY_KINDS) as GlossaryKind[]) {
      for (const code of [...(this.used.get(kind) ?? [])].sort()) {
        const e = this.entry(kind, code)
        rows.push([kind, code, e?.label ?? code, e?.meaning ?? 'Not a known code.'])
      }
    }
    return rows
  }
}

/** The glossary section: each code the report printed, with its label and meaning. */
export function glossary(
  doc: Doc,
  labels: Labels,
  title: string,
  section: { add(values: unknown[]): void },
  afterHeading?: () => void,
): void {
  heading(doc, title)
  afterHeading?.() // the contents page and bookmarks note the page the heading landed on
  paragraph(
    doc,
    'The report prints labels. These are the codes behind them, as stored in the records and used in exports and the dashboard’s filters.',
    { size: 9 },
  )
  const rows = labels.glossaryRows()
  rows.forEach((r) => section.add(r))
  drawTable(
    doc,
    [
      { header: 'Kind', width: 1.6 },
      { header: 'Code', width: 2.1, token: true, fit: 'secondary_processing' },
      { header: 'Label', width: 3.4 },
      { header: 'Meaning', width: 4.4 },
    ],
    rows.map(([kind, code, label, meaning]) => [GLOSSARY_KINDS[kind], code, label, meaning]),
    { emptyText: 'No codes printed.' },
  )
}
