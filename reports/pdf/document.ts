import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import PDFDocument from 'pdfkit'
import { trackPageText } from './page-text.js'
import { currentFont, num, showText, writeContent, type PdfFont } from './raw.js'

// The page frame every report shares: A4, DejaVu Sans embedded, fixed metadata, the protective
// marking at the top and "Page X of Y" at the foot of every page.
//
// One rendering pass in bounded memory: pages are NOT buffered (bufferPages would keep every
// page of a 3,000-page audit pack in memory). The frame is drawn as each page is added, except
// the "Page X of Y" text: Y is not known yet, so each page shows a small form XObject of its
// own whose content stream is written by `endDocument`, once the page count is known. A page
// only holds a reference to it, so pages are still written out (and freed) as they finish;
// what stays in memory is one unwritten ~100-byte object per page.
// See docs/decisions/009-reports.md.

export const MARKING = 'OFFICIAL-SENSITIVE'
export const MARGIN = 50
export const A4 = { width: 595.28, height: 841.89 }

export interface DocumentOptions {
  title: string
  subject?: string
  /** Written as CreationDate/ModDate: the report's generated-at time, not "now". */
  creationDate: Date
  marking?: string
  /** Deflate the streams (default). Off only in tests that read the operators back. */
  compress?: boolean
}

export type Doc = PDFKit.PDFDocument & { pageNumber: number }

interface Ref {
  write(chunk: string): void
  end(): void
}

interface Footer {
  ref: Ref
  page: number
  pageWidth: number
}

/**
 * The fonts every report uses, by the names they are registered under: DejaVu Sans (npm
 * dejavu-fonts-ttf), embedded as subsets, so any Unicode text prints as written (Welsh and
 * Polish provider names, en dashes, arrows, check marks). pdfkit's built-in Helvetica has
 * WinAnsi glyphs only. Mono is for identifiers (ids, pseudonyms, digests): fixed width, so a
 * column can be sized to hold them whole. See docs/decisions/022-report-typography.md.
 */
export const FONTS = {
  regular: 'Sans',
  bold: 'Sans-Bold',
  oblique: 'Sans-Oblique',
  mono: 'Mono',
} as const
export type FontName = (typeof FONTS)[keyof typeof FONTS]

const FONT_FILES: Record<FontName, string> = {
  Sans: 'DejaVuSans.ttf',
  'Sans-Bold': 'DejaVuSans-Bold.ttf',
  'Sans-Oblique': 'DejaVuSans-Oblique.ttf',
  Mono: 'DejaVuSansMono.ttf',
}

/** The font files' bytes, read once per process (pdfkit parses them per document). */
let fontBytes: Record<FontName, Buffer> | undefined
function loadFonts(): Record<FontName, Buffer> {
  if (!fontBytes) {
    const dir = path.join(path.dirname(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json')), 'ttf')
    fontBytes = Object.fromEntries(
      Object.entries(FONT_FILES).map(([name, file]) => [name, fs.readFileSync(path.join(dir, file))]),
    ) as Record<FontName, Buffer>
  }
  return fontBytes
}

const FOOTER_SIZE = 8
const FOOTER_TOP = 35 // from the bottom edge, as the top of the text line
const footers = new WeakMap<Doc, { font: PdfFont; pending: Footer[] }>()

export function createDocument(opts: DocumentOptions): Doc {
  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: MARGIN + 10, bottom: MARGIN + 10, left: MARGIN, right: MARGIN },
    autoFirstPage: false,
    bufferPages: false,
    compress: opts.compress ?? true,
    // no default font: no standard font is ever loaded or written. (Not the Sans bytes either:
    // pdfkit would then find 'Sans' already open under its PostScript name and re-parse the
    // file on every doc.font('Sans') to compare them.)
    font: null as unknown as string,
    info: {
      Title: opts.title,
      Subject: opts.subject ?? opts.title,
      Author: 'Sharing Ledger',
      Creator: 'Sharing Ledger',
      Producer: 'Sharing Ledger (pdfkit)',
      CreationDate: opts.creationDate,
      ModDate: opts.creationDate,
    },
  }) as Doc
  doc.pageNumber = 0
  const marking = opts.marking ?? MARKING
  for (const [name, bytes] of Object.entries(loadFonts())) doc.registerFont(name, bytes as unknown as string)
  doc.font(FONTS.regular)
  footers.set(doc, { font: currentFont(doc), pending: [] })
  trackPageText(doc) // before the frame's listener: the marking it draws is page text
  doc.on('pageAdded', () => {
    doc.pageNumber += 1
    drawFrame(doc, marking, doc.pageNumber)
  })
  doc.addPage()
  return doc
}

/**
 * Writes every page's "Page X of Y" (Y = pages drawn), lets `beforeEnd` add what needs the
 * finished pages (the signed manifest), and ends the document. Returns Y.
 */
export function endDocument(doc: Doc, beforeEnd?: (pages: number) => void): number {
  const total = doc.pageNumber
  const state = footers.get(doc)!
  const { font } = state
  const baseline = FOOTER_TOP - (font.ascender / 1000) * FOOTER_SIZE
  for (const f of state.pending) {
    const text = `Page ${f.page} of ${total}`
    const x = f.pageWidth - MARGIN - font.widthOfString(text, FOOTER_SIZE)
    f.ref.write(`BT\n0 0 0 rg\n1 0 0 1 ${num(x)} ${num(baseline)} Tm\n/${font.id} ${FOOTER_SIZE} Tf\n${showText(font, text)}\nET`)
    f.ref.end()
  }
  state.pending = []
  beforeEnd?.(total)
  doc.end()
  return total
}

/** The footer's page number: a reference to this page's own form XObject, filled in by endDocument. */
function pageNumberPlaceholder(doc: Doc, n: number): void {
  const state = footers.get(doc)!
  const ref = (doc as unknown as { ref(data: object): Ref }).ref({
    Type: 'XObject',
    Subtype: 'Form',
    BBox: [0, 0, doc.page.width, doc.page.height],
    Resources: { Font: { [state.font.id]: state.font.ref() } },
  })
  ;(doc.page as unknown as { xobjects: Record<string, unknown> }).xobjects.PageNo = ref
  state.pending.push({ ref, page: n, pageWidth: doc.page.width })
  // pdfkit draws in a y-down system (1 0 0 -1 0 H cm at the start of each page); the form is
  // drawn in the PDF's own y-up system
  writeContent(doc, `q\n1 0 0 -1 0 ${num(doc.page.height)} cm\n/PageNo Do\nQ`)
}

function drawFrame(doc: Doc, marking: string, n: number): void {
  const { x, y } = doc
  const bottom = doc.page.margins.bottom
  doc.page.margins.bottom = 0 // drawing in the margin must not start a new page
  const width = doc.page.width - 2 * MARGIN
  doc.save()
  doc.font(FONTS.bold).fontSize(9).fillColor('#000000')
  doc.text(marking, MARGIN, 22, { width, align: 'center', lineBreak: false })
  doc.font(FONTS.regular).fontSize(8)
  doc.text(marking, MARGIN, doc.page.height - FOOTER_TOP, { width, align: 'left', lineBreak: false })
  doc.restore()
  pageNumberPlaceholder(doc, n)
  doc.page.margins.bottom = bottom
  doc.font(FONTS.regular).fontSize(10).fillColor('#000000')
  doc.x = x
  doc.y = y
}

/** Usable area of the current page. */
export function frame(doc: Doc) {
  return {
    left: doc.page.margins.left,
    right: doc.page.width - doc.page.margins.right,
    width: doc.page.width - doc.page.margins.left - doc.page.margins.right,
    top: doc.page.margins.top,
    bottom: doc.page.height - doc.page.margins.bottom,
  }
}

/** Starts a new page unless `needed` points still fit. */
export function ensureSpace(doc: Doc, needed: number): void {
  if (doc.y + needed > frame(doc).bottom) doc.addPage()
}
