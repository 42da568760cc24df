import PDFDocument from 'pdfkit'

// The page frame every report shares: A4, Helvetica, fixed metadata, the protective marking at
// the top and "Page X of Y" at the foot of every page.
//
// Bounded memory: pages are NOT buffered (bufferPages would keep every page of a 2,500-page
// audit pack in memory). The frame is drawn as each page is added, and the total Y comes from
// a first, discarded rendering pass that only counts pages (see reports/index.ts and
// docs/decisions/009-reports.md). Rendering is deterministic, so both passes paginate alike.

export const MARKING = 'OFFICIAL-SENSITIVE'
export const MARGIN = 50
export const A4 = { width: 595.28, height: 841.89 }

export interface DocumentOptions {
  title: string
  subject?: string
  /** Written as CreationDate/ModDate: the report's generated-at time, not "now". */
  creationDate: Date
  /** Total page count from the counting pass; without it the footer reads "Page X". */
  totalPages?: number
  marking?: string
}

export type Doc = PDFKit.PDFDocument & { pageNumber: number }

export function createDocument(opts: DocumentOptions): Doc {
  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: MARGIN + 10, bottom: MARGIN + 10, left: MARGIN, right: MARGIN },
    autoFirstPage: false,
    bufferPages: false,
    compress: true,
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
  doc.on('pageAdded', () => {
    doc.pageNumber += 1
    drawFrame(doc, marking, doc.pageNumber, opts.totalPages)
  })
  doc.font('Helvetica')
  doc.addPage()
  return doc
}

function drawFrame(doc: Doc, marking: string, n: number, total: number | undefined): void {
  const { x, y } = doc
  const bottom = doc.page.margins.bottom
  doc.page.margins.bottom = 0 // drawing in the margin must not start a new page
  const width = doc.page.width - 2 * MARGIN
  doc.save()
  doc.font('Helvetica-Bold').fontSize(9).fillColor('#000000')
  doc.text(marking, MARGIN, 22, { width, align: 'center', lineBreak: false })
  doc.font('Helvetica').fontSize(8)
  const footer = total === undefined ? `Page ${n}` : `Page ${n} of ${total}`
  doc.text(marking, MARGIN, doc.page.height - 35, { width, align: 'left', lineBreak: false })
  doc.text(footer, MARGIN, doc.page.height - 35, { width, align: 'right', lineBreak: false })
  doc.restore()
  doc.page.margins.bottom = bottom
  doc.font('Helvetica').fontSize(10).fillColor('#000000')
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
