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

/** Text drawn now whose words are written later (a contents page's page numbers): filled in by fillDeferredText. */
export interface DeferredText {
  text: string | null
}

type Part = string | DeferredText

interface State {
  /** The current page's text so far; null before the first page. */
  parts: Part[] | null
  /** Per page: its digest, or its parts while some deferred text is still to come. */
  digests: Array<string | Part[]>
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
  const state: State = { parts: null, digests: [], bytes: crypto.createHash('sha256').update(header), offset: header.length }
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
    state.parts = []
  })
}

/** Text written into the page's content stream other than through pdfkit's layout (fast table rows), in stream order. */
export function recordText(doc: Doc, text: string): void {
  const state = states.get(doc)
  if (state?.parts) state.parts.push(text) // normalised once per page, as the verifier does
}

/** Marks where text written later (into a form XObject drawn here) belongs in the page's text. */
export function deferText(doc: Doc): DeferredText {
  const deferred: DeferredText = { text: null }
  states.get(doc)?.parts?.push(deferred)
  return deferred
}

function digestOf(parts: Part[]): string {
  const text = parts
    .map((p) => {
      if (typeof p === 'string') return p
      if (p.text === null) throw new Error('deferred page text was never filled in')
      return p.text
    })
    .join('')
  return crypto.createHash('sha256').update(normalisePageText(text)).digest('hex')
}

function finishPage(state: State): void {
  if (!state.parts) return
  // A page's text is kept only while some of it is still to come; otherwise it is digested now.
  state.digests.push(state.parts.some((p) => typeof p !== 'string') ? state.parts : digestOf(state.parts))
  state.parts = null
}

/** Every page's text digest, in page order; the last page is finished by this call. */
export function pageTextDigests(doc: Doc): string[] {
  const state = states.get(doc)!
  finishPage(state)
  return state.digests.map((d) => (typeof d === 'string' ? d : digestOf(d)))
}

/** How many bytes the document has written so far, and their SHA-256. */
export function writtenSoFar(doc: Doc): { bytes: number; sha256: string } {
  const state = states.get(doc)!
  return { bytes: state.offset, sha256: state.bytes.copy().digest('hex') }
}
