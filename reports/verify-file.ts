import crypto from 'node:crypto'
import { verifySignature } from '../core/signing.js'
import { footerText, normalisePageText } from './pdf/page-text.js'
import { MANIFEST_FILE, MANIFEST_FORMAT, SIGNATURE_FILE, type ReportManifest } from './signature.js'

// Offline verification of a report file: no database, only the file and a public key
// (docs/decisions/025-report-signatures.md). The text of each page is extracted with pdfjs
// (Mozilla's PDF reader), so a file re-saved by another tool (qpdf, a linearising viewer) still
// reads the same, while a changed character on any page does not.

export type FileVerdict =
  | { status: 'genuine'; manifest: ReportManifest }
  | { status: 'resaved'; manifest: ReportManifest }
  | { status: 'altered'; manifest: ReportManifest; pages: number[]; reason: string }
  | { status: 'unsigned' | 'bad-signature' | 'unreadable'; reason: string }

/** Exit code for `ledger verify`: the content is as signed (genuine or re-saved) => 0. */
export function verdictExitCode(v: FileVerdict): 0 | 1 {
  return v.status === 'genuine' || v.status === 'resaved' ? 0 : 1
}

export async function verifyReportFile(bytes: Buffer, publicKey: crypto.KeyObject): Promise<FileVerdict> {
  const { getDocument } = await import('pdfjs-dist/legacy/build/pdf.mjs')
  let pdf: Awaited<ReturnType<typeof getDocument>['promise']>
  try {
    // pdfjs takes ownership of the array it is given: pass a copy
    pdf = await getDocument({ data: new Uint8Array(bytes), isEvalSupported: false, useSystemFonts: false, verbosity: 0 }).promise
  } catch {
    return { status: 'unreadable', reason: 'not a readable PDF file' }
  }
  try {
    let attachments: Record<string, { content: Uint8Array }>
    try {
      attachments = ((await pdf.getAttachments()) ?? {}) as Record<string, { content: Uint8Array }>
    } catch {
      return { status: 'unreadable', reason: 'the file is damaged: its attachments cannot be read' }
    }
    const manifestBytes = attachments[MANIFEST_FILE]?.content
    const signature = attachments[SIGNATURE_FILE]?.content
    if (!manifestBytes || !signature)
      return { status: 'unsigned', reason: 'no signed Sharing Ledger manifest in this file: not a report this system produced' }
    if (!verifySignature(publicKey, Buffer.from(manifestBytes), Buffer.from(signature).toString('utf8'))) {
      return {
        status: 'bad-signature',
        reason: "the manifest's signature does not match this public key: altered, or signed by another key",
      }
    }
    const manifest = JSON.parse(Buffer.from(manifestBytes).toString('utf8')) as ReportManifest
    if (manifest.format !== MANIFEST_FORMAT) return { status: 'unsigned', reason: `unknown manifest format ${String(manifest.format)}` }

    if (pdf.numPages !== manifest.pages) {
      return { status: 'altered', manifest, pages: [], reason: `the file has ${pdf.numPages} pages; the report had ${manifest.pages}` }
    }
    const altered: number[] = []
    for (let n = 1; n <= pdf.numPages; n++) {
      let text: string
      try {
        const page = await pdf.getPage(n)
        const content = await page.getTextContent()
        page.cleanup()
        text = normalisePageText(content.items.map((i) => ('str' in i ? i.str : '')).join(''))
      } catch {
        altered.push(n) // a page whose content cannot be read is not the page that was signed
        continue
      }
      const footer = normalisePageText(footerText(n, manifest.pages))
      const at = text.indexOf(footer)
      const body = at < 0 ? text : text.slice(0, at) + text.slice(at + footer.length)
      const digest = crypto.createHash('sha256').update(body).digest('hex')
      if (at < 0 || digest !== manifest.pageText[n - 1]) altered.push(n)
    }
    if (altered.length > 0)
      return {
        status: 'altered',
        manifest,
        pages: altered,
        reason: `the text of ${altered.length === 1 ? 'page' : 'pages'} ${altered.join(', ')} differs from the signed report`,
      }

    for (const s of manifest.sections) {
      const rows = attachments[s.file]?.content
      if (!rows || crypto.createHash('sha256').update(rows).digest('hex') !== s.sha256) {
        return { status: 'altered', manifest, pages: [], reason: `the attached rows of section ${s.name} differ from the signed digest` }
      }
    }
    return { status: sameBytesAsProduced(bytes, manifest) ? 'genuine' : 'resaved', manifest }
  } finally {
    await pdf.destroy()
  }
}

/**
 * The signed prefix is intact and what follows it is pdfkit's single ending (no appended
 * update, no extra bytes after %%EOF): the file is byte for byte as produced.
 */
function sameBytesAsProduced(bytes: Buffer, m: ReportManifest): boolean {
  const { bytes: n, sha256 } = m.signedBytes
  if (bytes.length < n || crypto.createHash('sha256').update(bytes.subarray(0, n)).digest('hex') !== sha256) return false
  const rest = bytes.subarray(n).toString('latin1')
  return rest.endsWith('%%EOF\n') && rest.indexOf('%%EOF') === rest.length - 6
}

/** The sentence `ledger verify` and "Check a report" print for a verdict. */
export function describeFileVerdict(v: FileVerdict): string {
  switch (v.status) {
    case 'genuine':
      return `genuine: ${describeManifest(v.manifest)}; signature valid, every page as signed, file unchanged`
    case 'resaved':
      return `content unchanged, file re-saved: ${describeManifest(v.manifest)}; signature valid and every page's text as signed, but the file's bytes were rewritten by another program`
    case 'altered':
      return `altered: ${v.reason} (${describeManifest(v.manifest)})`
    default:
      return `not verified: ${v.reason}`
  }
}

function describeManifest(m: ReportManifest): string {
  return `${m.kind} report ${m.reportId} for ${m.practices.join(', ')} ${m.from} to ${m.to}${m.eventId !== undefined ? ` (override event ${m.eventId})` : ''}${m.findingId !== undefined ? ` (finding ${m.findingId})` : ''}, generated by ${m.generatedBy} at ${m.generatedAt}${m.key.development ? ', signed with the DEVELOPMENT key (proves nothing)' : ''}`
}
