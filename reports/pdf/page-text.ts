import crypto from 'node:crypto'
import type { Doc } from './document.js'

// The text of every page, digested while it is drawn, so a report's signed manifest can say
// what each page reads (docs/decisions/025-report-signatures.md). A verifier extracts each
// page's text from the PDF (pdfjs, reports/verify.ts), normalises it the same way and compares:
// a re-saved file (qpdf, linearised) keeps every page's text; one changed character does not.
//
// Normal form: Unicode NFKC (a viewer may give "ﬁ" for "fi"), then every whitespace character
// removed (extractors differ in where they put spaces and line ends). The "Page X of Y" footer
// is not in the digest: it is written when the document ends; the verifier removes it, and the
// manifest's page count fixes Y.

export function normalisePageText(text: string): string {
  return text.normalize('NFKC').replace(/\s+/gu, '')
}

export function footerText(page: number, pages: number): string {
  return `Page ${page} of ${pages}`
}

interface State {
  hash: crypto.Hash | null
  digests: string[]
  /** SHA-256 over every byte the document has written so far. */
  bytes: crypto.Hash
  offset: number
}

const states = new WeakMap<Doc, State>()

/**
 * Starts digesting the document's pages and bytes. Call before the first page is added and
 * before any other 'pageAdded' listener that draws (the frame's marking is page text too).
 */
export function trackPageText(doc: Doc): void {
  const internals = doc as unknown as {
    _fragment(text: string, x: number, y: number, options: unknown): unknown
    _write(data: string | Uint8Array): unknown
    _offset: number
    version: string
  }
  // pdfkit's constructor has already written the header; the same bytes start the hash
  const header = Buffer.from(`%PDF-${internals.version}\n%\xFF\xFF\xFF\xFF\n`, 'latin1')
  if (header.length !== internals._offset) throw new Error('pdfkit wrote an unexpected header: the signed byte count would be wrong')
  const state: State = { hash: null, digests: [], bytes: crypto.createHash('sha256').update(header), offset: header.length }
  states.set(doc, state)
  // Every string pdfkit's text layout draws goes through _fragment, once per line.
  const fragment = internals._fragment
  internals._fragment = function (this: unknown, text, x, y, options) {
    recordText(doc, text)
    return fragment.call(this, text, x, y, options)
  }
  const write = internals._write
  internals._write = function (this: unknown, data) {
    const chunk = typeof data === 'string' ? Buffer.from(data + '\n', 'binary') : data
    state.bytes.update(chunk)
    state.offset += chunk.length
    return write.call(this, data)
  }
  doc.on('pageAdded', () => {
    finishPage(state)
    state.hash = crypto.createHash('sha256')
  })
}

/** Text written into the page's content stream other than through pdfkit's layout (fast table rows), in stream order. */
export function recordText(doc: Doc, text: string): void {
  const state = states.get(doc)
  if (state?.hash) state.hash.update(normalisePageText(text))
}

function finishPage(state: State): void {
  if (state.hash) state.digests.push(state.hash.digest('hex'))
  state.hash = null
}

/** Every page's text digest, in page order; the last page is finished by this call. */
export function pageTextDigests(doc: Doc): string[] {
  const state = states.get(doc)!
  finishPage(state)
  return state.digests
}

/** How many bytes the document has written so far, and their SHA-256. */
export function writtenSoFar(doc: Doc): { bytes: number; sha256: string } {
  const state = states.get(doc)!
  return { bytes: state.offset, sha256: state.bytes.copy().digest('hex') }
}
