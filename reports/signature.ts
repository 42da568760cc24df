import { deflateSync } from 'node:zlib'
import { DEVELOPMENT_SIGNING_SEED, publicKeyFingerprint, publicKeyPem, sign, signingKeyFromSeed, type SigningKey } from '../core/signing.js'
import type { Doc } from './pdf/document.js'
import type { SectionDigest } from './pdf/digest.js'
import { pageTextDigests, writtenSoFar } from './pdf/page-text.js'

// A report proves itself offline (docs/decisions/025-report-signatures.md): inside the PDF, as
// file attachments, are its signed manifest, the signature, and each section's rows in the
// canonical form its digest covers. `ledger verify FILE --public-key KEY` needs nothing else.

export const MANIFEST_FILE = 'sharing-ledger-manifest.json'
export const SIGNATURE_FILE = 'sharing-ledger-manifest.sig'
export const MANIFEST_FORMAT = 'sharing-ledger-report-manifest/1'

export interface ReportManifest {
  format: typeof MANIFEST_FORMAT
  reportId: string
  kind: string
  practices: string[]
  from: string
  to: string
  eventId?: number
  findingId?: number
  generatedBy: string
  generatedAt: string
  /** Pages in the document; page n's footer reads "Page n of pages". */
  pages: number
  /** Per page, SHA-256 of its text in normal form, without the footer (reports/pdf/page-text.ts). */
  pageText: string[]
  /** Per section: rows, SHA-256 of its canonical rows, and the attachment that holds them. */
  sections: Array<{ name: string; rows: number; sha256: string; file: string }>
  /** The file's first `bytes` bytes (every page, the attachments of rows): unchanged in a file as produced. */
  signedBytes: { bytes: number; sha256: string }
  key: { fingerprint: string; development: boolean }
}

let developmentKey: SigningKey | undefined
/** The published development key: what a report is signed with when no key is given (tests, the embedded demo). */
export function developmentSigningKey(): SigningKey {
  return (developmentKey ??= signingKeyFromSeed(DEVELOPMENT_SIGNING_SEED, true))
}

export function sectionFileName(name: string): string {
  return `section-${name}.jsonl`
}

/** Lines for the manifest page: which key signs this report and how to check it. */
export function signatureLines(key: SigningKey): string[] {
  return [
    ...(key.development
      ? [
          'WARNING: signed with the published DEVELOPMENT key. Anyone can make this signature; it proves nothing. Configure SIGNING_KEY for real reports.',
        ]
      : []),
    `Signed with Ed25519. Public key fingerprint (SHA-256 of the key): ${publicKeyFingerprint(key)}`,
    'Check this file offline with `npm run ledger -- verify FILE.pdf --public-key KEY.pem` (the key below, or from `npm run ledger -- keys public`).',
    // the PEM body alone: its BEGIN/END lines end in hyphens, which text extractors take for word breaks
    `Public key (the base64 between the BEGIN and END PUBLIC KEY lines of the PEM file): ${publicKeyBase64(key)}`,
  ]
}

function publicKeyBase64(key: SigningKey): string {
  return publicKeyPem(key)
    .replace(/-----[A-Z ]+-----/g, '')
    .replace(/\s+/g, '')
}

/** Adds a file attachment whose content is already deflated (a section's rows, compressed while drawn). */
function attach(doc: Doc, name: string, deflated: Buffer[], size: number, description: string): void {
  const d = doc as unknown as {
    ref(data: object): { write(chunk: Uint8Array): void; end(): void }
    addNamedEmbeddedFile(name: string, ref: unknown): void
    _root: { data: { AF?: unknown[] } }
  }
  const file = d.ref({ Type: 'EmbeddedFile', Filter: 'FlateDecode', Params: { Size: size } })
  for (const chunk of deflated) file.write(chunk)
  file.end()
  // pdfkit writes a String object as a PDF string, a plain string as a name.
  const pdfString = (text: string) => new String(text) // eslint-disable-line no-new-wrappers -- see above
  const spec = d.ref({
    Type: 'Filespec',
    AFRelationship: 'Data',
    F: pdfString(name),
    UF: pdfString(name),
    Desc: pdfString(description),
    EF: { F: file },
  })
  spec.end()
  d.addNamedEmbeddedFile(name, spec)
  ;(d._root.data.AF ??= []).push(spec)
}

/** Each section's rows, compressed while it was drawn (awaited before the document ends). */
export async function prepareSectionFiles(sections: Map<string, SectionDigest>) {
  const files: Array<{ name: string; section: SectionDigest; deflated: Buffer[]; size: number }> = []
  for (const [name, section] of sections) {
    const { deflated, size } = await section.finish()
    files.push({ name, section, deflated, size })
  }
  return files
}

/**
 * Called once every page is drawn and numbered, before the document ends: attaches each
 * section's rows, then the manifest (covering every page's text and every byte written so
 * far) and its signature.
 */
export function signDocument(
  doc: Doc,
  key: SigningKey,
  head: Omit<ReportManifest, 'format' | 'pages' | 'pageText' | 'sections' | 'signedBytes' | 'key'>,
  pages: number,
  files: Awaited<ReturnType<typeof prepareSectionFiles>>,
): ReportManifest {
  const d = doc as unknown as { flushPages(): void; _fontFamilies: Record<string, { finalize(): void }> }
  // The last page's content and the fonts are written now, inside the signed bytes (pdfkit's
  // end() would write them after the manifest; finalising twice is a no-op).
  d.flushPages()
  for (const font of Object.values(d._fontFamilies)) font.finalize()
  const sections = files.map(({ name, section, deflated, size }) => {
    const file = sectionFileName(name)
    attach(doc, file, deflated, size, `Section ${name}: one JSON array per row, as printed; its SHA-256 is the section digest`)
    return { name, rows: section.rows, sha256: section.digest(), file }
  })
  const manifest: ReportManifest = {
    format: MANIFEST_FORMAT,
    ...head,
    pages,
    pageText: pageTextDigests(doc),
    sections,
    signedBytes: writtenSoFar(doc),
    key: { fingerprint: publicKeyFingerprint(key), development: key.development },
  }
  const text = Buffer.from(JSON.stringify(manifest, null, 1), 'utf8')
  const signature = Buffer.from(sign(key, text), 'utf8')
  for (const [name, data, description] of [
    [MANIFEST_FILE, text, 'What this report contains, signed: page text digests, section digests, scope'],
    [SIGNATURE_FILE, signature, `Ed25519 signature (base64) of ${MANIFEST_FILE}`],
  ] as const) {
    attach(doc, name, [deflateSync(data)], data.length, description)
  }
  return manifest
}
