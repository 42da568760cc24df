import { json, type LoaderFunctionArgs, type MetaFunction, type SerializeFrom } from '@remix-run/node'
import { Link, useLoaderData, useLocation } from '@remix-run/react'
import type { ReactNode } from 'react'
import { getDisclosurePage } from '../lib/disclosures.server.js'
import { formatCount, formatDateTime, formatDay } from '../../core/format.js'
import { OVERRIDE_KIND_LABELS, SOURCE_KIND_LABELS } from '../../core/labels.js'
import { useKeptSearch } from '../lib/navigation.js'

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data ? `Disclosure ${data.disclosure.id}` : 'Disclosure'} – Sharing Ledger` },
]

export async function loader(args: LoaderFunctionArgs) {
  return json(await getDisclosurePage(args), { headers: { 'Cache-Control': 'no-store' } })
}

type DetailData = SerializeFrom<typeof loader>

// Most to least revealing: a disclosure within an agreement sends no more than it allows.
const DATA_LEVEL_RANK: Record<string, number> = { identifiable: 2, pseudonymised: 1, anonymised: 0 }

function Fact({ term, children, testId }: { term: string; children: ReactNode; testId?: string }) {
  return (
    <div>
      <dt>{term}</dt>
      <dd data-testid={testId}>{children}</dd>
    </div>
  )
}

export default function DisclosureDetail() {
  const { disclosure: d, agreement, others, overrides } = useLoaderData<typeof loader>()
  const { search } = useLocation()
  return (
    <>
      <p>
        <Link to={`/disclosures/list${search}`}>Back to the list of disclosures</Link>
      </p>
      <h1>Disclosure {d.id}</h1>
      <section className="panel" aria-labelledby="what-heading">
        <h2 id="what-heading">What was disclosed, to whom and why</h2>
        <dl className="disclosures-facts">
          <Fact term="When (UK time)" testId="occurred-at">
            {formatDateTime(d.occurredAt)}
          </Fact>
          <Fact term="Practice">
            {d.practiceName} ({d.practiceOds})
          </Fact>
          <Fact term="Patient (pseudonym)" testId="pseudonym">
            <code>{d.patientPseudonym}</code>
          </Fact>
          <Fact term="Recipient" testId="recipient">
            {d.recipientName}
            {d.recipientOds && ` (ODS ${d.recipientOds})`}
            {/* A patient or relative is stored by type, not by name: the name is the type's label already. */}
            {d.recipientName !== d.recipientTypeLabel && `, ${d.recipientTypeLabel}`}
          </Fact>
          <Fact term="Purpose" testId="purpose">
            {d.purposeLabel}
            {d.purposeCode && <span className="hint"> (sent as {d.purposeCode})</span>}
          </Fact>
          <Fact term="Legal basis" testId="legal-basis">
            {d.legalBasisLabel ?? 'None recorded by the source'}
          </Fact>
          <Fact term="Data level">{d.dataLevelLabel}</Fact>
          <Fact term="Data disclosed">{d.dataDescription ?? <span className="hint">Not described by the source</span>}</Fact>
          <Fact term="Disclosed by">
            {d.disclosedByRole || d.disclosedBy ? (
              [d.disclosedByRole, d.disclosedBy].filter(Boolean).join(', ')
            ) : (
              <span className="hint">Not recorded</span>
            )}
          </Fact>
        </dl>
      </section>
      <Provenance d={d} />
      <Agreement d={d} agreement={agreement} />
      <PatientContext d={d} others={others} overrides={overrides} />
    </>
  )
}

function Provenance({ d }: { d: DetailData['disclosure'] }) {
  return (
    <section className="panel" aria-labelledby="provenance-heading">
      <h2 id="provenance-heading">Where this record came from</h2>
      <dl className="disclosures-facts">
        <Fact term="Source" testId="source">
          {d.sourceName}: {SOURCE_KIND_LABELS[d.sourceKind] ?? d.sourceKind}
        </Fact>
        <Fact term="Record id in the source" testId="source-record-id">
          <code>{d.sourceRecordId}</code>
        </Fact>
        <Fact term="Version in the source" testId="source-version">
          {d.sourceVersion ?? <span className="hint">Not given</span>}
        </Fact>
        <Fact term="Collected (UK time)" testId="collected-at">
          {formatDateTime(d.collectedAt)}
        </Fact>
        <Fact term="Collection run" testId="run">
          {d.runId === null ? (
            <span className="hint">Not recorded (loaded outside a collection run)</span>
          ) : (
            <>
              Run {d.runId}
              {d.runJobName && ` (${d.runJobName}${d.runStartedAt ? `, started ${formatDateTime(d.runStartedAt)}` : ''})`}:{' '}
              <Link to={`/jobs?source=${d.sourceId}`}>run history of this source</Link>
            </>
          )}
        </Fact>
      </dl>
    </section>
  )
}

function YesNo({ ok, yes, no }: { ok: boolean; yes: string; no: string }) {
  return ok ? <span className="status--completed">Yes: {yes}</span> : <strong className="status--failed">No: {no}</strong>
}

function Agreement({ d, agreement: a }: { d: DetailData['disclosure']; agreement: DetailData['agreement'] }) {
  return (
    <section className="panel" aria-labelledby="agreement-heading">
      <h2 id="agreement-heading">Data sharing agreement relied on</h2>
      {d.agreementId === null ? (
        <p data-testid="agreement">The source named no data sharing agreement for this disclosure.</p>
      ) : a === null ? (
        <p data-testid="agreement">
          The source names agreement no. {d.agreementId}, which is not recorded in Sharing Ledger. An administrator can add it under Admin,
          Agreements.
        </p>
      ) : (
        <dl className="disclosures-facts" data-testid="agreement">
          <Fact term="Reference" testId="agreement-reference">
            {a.reference}
          </Fact>
          <Fact term="With">{a.recipientName}</Fact>
          <Fact term="Valid">
            from {formatDay(a.validFrom)} {a.validTo ? `to ${formatDay(a.validTo)}` : '(no end date)'}
          </Fact>
          <Fact term="Purposes">{a.purposes.length ? a.purposes.join('; ') : <span className="hint">None recorded</span>}</Fact>
          <Fact term="Data level allowed">{a.dataLevelLabel}</Fact>
          {a.description && <Fact term="Description">{a.description}</Fact>}
          <Fact term="Covers this recipient">
            <YesNo ok={a.sameRecipient} yes="the agreement is with this recipient" no="the agreement is with another organisation" />
          </Fact>
          <Fact term="Covers this purpose">
            <YesNo ok={a.coversPurpose} yes="the purpose is listed" no="the purpose is not in the agreement" />
          </Fact>
          <Fact term="Covers this practice">
            <YesNo ok={a.coversPractice} yes="the practice is a party" no="the practice is not a party" />
          </Fact>
          <Fact term="In force on the day">
            <YesNo ok={a.inForce} yes="the disclosure falls within its dates" no="the disclosure falls outside its dates" />
          </Fact>
          <Fact term="Data level within the agreement">
            <YesNo
              ok={(DATA_LEVEL_RANK[d.dataLevel] ?? 2) <= (DATA_LEVEL_RANK[a.dataLevel] ?? 2)}
              yes={`${d.dataLevel} data, ${a.dataLevel} allowed`}
              no={`${d.dataLevel} data sent, only ${a.dataLevel} allowed`}
            />
          </Fact>
        </dl>
      )}
    </section>
  )
}

function PatientContext({ d, others, overrides }: Pick<DetailData, 'others' | 'overrides'> & { d: DetailData['disclosure'] }) {
  const kept = useKeptSearch()
  return (
    <section className="panel" aria-labelledby="patient-heading">
      <h2 id="patient-heading">
        Other records of patient <code>{d.patientPseudonym}</code>
      </h2>
      <p className="hint">In the practices you are viewing, on any date. The patient is shown only by pseudonym.</p>
      <h3 id="patient-disclosures-heading">Other disclosures</h3>
      {others.total === 0 ? (
        <p data-testid="other-disclosures">No other disclosure of this patient is recorded.</p>
      ) : (
        <>
          <ul className="disclosures-related" aria-labelledby="patient-disclosures-heading" data-testid="other-disclosures">
            {others.items.map((o) => (
              <li key={o.id}>
                <Link to={`/disclosures/${o.id}${kept}`}>
                  {formatDateTime(o.occurredAt)}: {o.purposeLabel}, to {o.recipientName}
                </Link>{' '}
                <span className="hint">({o.practiceOds})</span>
              </li>
            ))}
          </ul>
          {others.total > others.items.length && (
            <p className="hint">
              The {formatCount(others.items.length)} most recent of {formatCount(others.total)} are shown.
            </p>
          )}
        </>
      )}
      <h3 id="patient-overrides-heading">Overrides</h3>
      {overrides.total === 0 ? (
        <p data-testid="patient-overrides">No override event is recorded for this patient.</p>
      ) : (
        <>
          <ul className="disclosures-related" aria-labelledby="patient-overrides-heading" data-testid="patient-overrides">
            {overrides.items.map((o) => (
              <li key={o.id}>
                <Link to={`/overrides/${o.id}${kept}`}>
                  {formatDateTime(o.occurredAt)}: {OVERRIDE_KIND_LABELS[o.kind] ?? o.kind}
                  {o.reasonCode && ` (${o.reasonCode})`}
                </Link>{' '}
                <span className="hint">
                  ({o.practiceOds}, {o.reviewed ? 'reviewed' : 'awaiting review'})
                </span>
              </li>
            ))}
          </ul>
          {overrides.total > overrides.items.length && (
            <p className="hint">
              The {formatCount(overrides.items.length)} most recent of {formatCount(overrides.total)} are shown.
            </p>
          )}
        </>
      )}
    </section>
  )
}
