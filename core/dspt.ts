import type { ReportKind } from './report-roles.js'

// The DSPT evidence index (issue 17, decision 035): what Sharing Ledger holds that supports an
// item of the Data Security and Protection Toolkit, and the page or report that shows it. The
// toolkit renumbers its evidence items most years (and moved many organisations to a CAF-aligned
// edition), so each entry names the National Data Guardian standard and the topic, which are
// stable; the practice writes its year's item number beside it. One list, read by the /dspt page
// and the annual Caldicott report.

export interface DsptEvidence {
  /** A page of the dashboard (path), or a report produced from /reports or the CLI. */
  page?: { path: string; label: string }
  report?: { kind: ReportKind; label: string }
  /** A command anyone with the database can run. */
  command?: string
}

export interface DsptItem {
  id: 'processing_record' | 'opt_out' | 'subject_access' | 'access_monitoring' | 'incident_log' | 'caldicott_decisions' | 'record_integrity'
  topic: string
  /** The National Data Guardian standard it falls under. */
  standard: string
  /** What Sharing Ledger holds for it, in a sentence. */
  holds: string
  evidence: DsptEvidence[]
}

export const DSPT_ITEMS: readonly DsptItem[] = [
  {
    id: 'processing_record',
    topic: 'Record of processing activities and data flows (UK GDPR Art. 30)',
    standard: 'NDG standard 1: personal confidential data',
    holds:
      'Every disclosure collected from the practice systems, with its recipient, purpose, legal basis and data level; the data sharing agreements; the promises of the privacy notice and whether they were kept.',
    evidence: [
      { page: { path: '/disclosures', label: 'Disclosures' } },
      { page: { path: '/admin/agreements', label: 'Data sharing agreements' } },
      { page: { path: '/promises', label: 'Promises of the privacy notice' } },
      { report: { kind: 'audit', label: 'Audit evidence pack, sections 2, 3 and 8' } },
    ],
  },
  {
    id: 'opt_out',
    topic: 'Compliance with the national data opt-out and Type 1 opt-outs',
    standard: 'NDG standard 1: personal confidential data',
    holds:
      "Patients' opt-out choices as collected, NHS England's NDOP publication figures, and a finding for every disclosure an opt-out in force should have stopped.",
    evidence: [
      { page: { path: '/opt-outs', label: 'Opt-outs' } },
      { page: { path: '/findings?rule=optout_disclosure', label: 'Findings: disclosures despite an opt-out' } },
      { report: { kind: 'annual', label: 'Annual Caldicott report: opt-out trend' } },
      { report: { kind: 'commissioner', label: 'Commissioner report: opt-out rates' } },
    ],
  },
  {
    id: 'subject_access',
    topic: "Individuals' rights: right of access to who received their data (UK GDPR Art. 15)",
    standard: 'NDG standard 1: personal confidential data',
    holds: 'A statement for a patient of every disclosure of their data, produced on request; each one produced is logged.',
    evidence: [
      { page: { path: '/statements', label: 'Disclosure statements' } },
      { report: { kind: 'statement', label: 'Disclosure statement' } },
    ],
  },
  {
    id: 'access_monitoring',
    topic: 'Monitoring access to confidential information, including emergency access',
    standard: 'NDG standard 4: managing data access',
    holds:
      'Who viewed patient-level records in this dashboard and when (the access log), and every emergency access (override) in the practice systems with its Caldicott review and countersignature.',
    evidence: [
      { page: { path: '/audit-log', label: 'Access log' } },
      { page: { path: '/overrides', label: 'Overrides and reviews' } },
      { report: { kind: 'audit', label: 'Audit evidence pack, section 5' } },
    ],
  },
  {
    id: 'incident_log',
    topic: 'Log of data security and protection incidents and near misses',
    standard: 'NDG standard 6: responding to incidents',
    holds: 'High-severity findings, overrides judged not justified, and the incident reviews produced for them.',
    evidence: [
      { page: { path: '/findings?severity=high', label: 'High-severity findings' } },
      { report: { kind: 'incident', label: 'Incident review' } },
      { report: { kind: 'annual', label: 'Annual Caldicott report: incidents' } },
    ],
  },
  {
    id: 'caldicott_decisions',
    topic: "The Caldicott guardian's record of decisions",
    standard: 'NDG standard 1: personal confidential data',
    holds: 'Every override review, countersignature, finding decision and accepted risk, with reasons and who took it.',
    evidence: [
      { page: { path: '/register', label: 'Decision register (CSV export)' } },
      { report: { kind: 'annual', label: 'Annual Caldicott report' } },
    ],
  },
  {
    id: 'record_integrity',
    topic: 'Integrity of the audit trail',
    standard: 'NDG standard 9: IT protection',
    holds: 'A hash chain over every record that must never change, with signed checkpoints anyone can verify.',
    evidence: [
      { page: { path: '/jobs', label: 'Jobs: ledger status' } },
      { command: 'npm run ledger -- integrity verify' },
      { report: { kind: 'audit', label: 'Audit evidence pack, section 10' } },
    ],
  },
]

/** The report kinds the index cites, for "latest produced" beside each item. */
export const DSPT_REPORT_KINDS: readonly ReportKind[] = [
  ...new Set(DSPT_ITEMS.flatMap((i) => i.evidence.flatMap((e) => (e.report ? [e.report.kind] : [])))),
]
