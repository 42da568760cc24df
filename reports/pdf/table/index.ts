import { FONTS, frame, type Doc } from '../document.js'
import { recordText } from '../page-text.js'
import { writeContent } from '../raw.js'
import { drawRow, HEADER_FILL, STRIPE_FILL } from './draw.js'
import { columnWidths, measureRow, PAD, type Column, type RowLayout, type TableMeasure } from './measure.js'
import { Wrappers } from './wrap.js'

export type { Column } from './measure.js'

// A table that is written row by row, so a 100,000-row log never exists in memory at once, in
// stages like pdfkit's own table: measure (measure.ts: column widths, row heights), wrap
// (wrap.ts: a cell's lines) and draw (draw.ts: a row's operators). This file is the page flow:
// a row that does not fit starts a new page, and the header is repeated at the top of each
// page the table continues on.
//
// Nothing is ever broken inside a word (docs/decisions/022-report-typography.md): prose cells
// wrap at spaces only, identifier columns (`token`: ids, pseudonyms, references, digests) never
// wrap and are drawn in the monospaced font, a column can be sized to hold a sample value whole
// (`fit`), and a cell whose longest word or token is still wider than its column is drawn in a
// smaller size (just that cell) so that it fits. Someone searching the PDF for a pseudonym
// taken from a finding finds it.
//
// Rows reach the page's content stream in one chunk per page: when the table starts a page,
// draws a spanning row, or ends. Their text is recorded for the page's text digest
// (page-text.ts) at the same moment, in the same order. Between `new Table` and `end()`
// nothing else may be drawn.

export class Table {
  private readonly measure: TableMeasure
  private readonly left: number
  private rowIndex = 0
  /** Operators of rows drawn on the current page, written to it as one chunk by flush(). */
  private readonly pending: string[] = []
  /** The text of the pending rows, in the order it is written (the page's text digest). */
  private readonly pendingText: string[] = []

  constructor(
    private readonly doc: Doc,
    private readonly columns: Column[],
    opts: { fontSize?: number } = {},
  ) {
    const f = frame(doc)
    const size = opts.fontSize ?? 8
    const wrappers = new Wrappers(doc)
    this.measure = { columns, size, wrappers, widths: columnWidths(columns, f.width, size, wrappers) }
    this.left = f.left
    this.drawHeader(true)
  }

  private get size() {
    return this.measure.size
  }

  private get widths() {
    return this.measure.widths
  }

  /** Draws a measured row at the current y into the pending chunk and moves below it. */
  private place(row: RowLayout, fill?: string): void {
    const doc = this.doc
    const y = doc.y
    const drawn = drawRow(doc, { left: this.left, widths: this.widths, columns: this.columns }, row, y, fill)
    this.pending.push(drawn.ops)
    this.pendingText.push(...drawn.text)
    doc.font(FONTS.regular).fontSize(this.size)
    doc.x = this.left
    doc.y = y + row.h
  }

  /** Writes the rows drawn so far into the page (one chunk per page, not one per row). */
  flush(): void {
    if (this.pending.length === 0) return
    writeContent(this.doc, this.pending.join('\n'))
    this.pending.length = 0
    for (const text of this.pendingText) recordText(this.doc, text)
    this.pendingText.length = 0
  }

  private newPage(): void {
    this.flush()
    this.doc.addPage()
  }

  private drawHeader(first: boolean): void {
    const row = measureRow(
      this.measure,
      this.columns.map((c) => c.header),
      true,
      true,
    )
    // never leave a header alone at the foot of a page
    if (first && this.doc.y + row.h * 2.5 > frame(this.doc).bottom) this.newPage()
    this.place(row, HEADER_FILL)
  }

  addRow(cells: string[], opts: { bold?: boolean } = {}): void {
    const row = measureRow(this.measure, cells, opts.bold === true)
    if (this.doc.y + row.h > frame(this.doc).bottom) {
      this.newPage()
      this.drawHeader(false)
    }
    const fill = this.rowIndex % 2 === 1 ? STRIPE_FILL : undefined
    this.rowIndex += 1
    this.place(row, fill)
  }

  /** A row with one cell across the whole width (e.g. "None recorded."), laid out and drawn by pdfkit. */
  addSpanningRow(text: string): void {
    const doc = this.doc
    const width = this.widths.reduce((a, b) => a + b, 0)
    this.flush()
    doc.font(FONTS.oblique).fontSize(this.size)
    const h = doc.heightOfString(text, { width: width - 2 * PAD }) + 2 * PAD
    if (doc.y + h > frame(doc).bottom) {
      this.newPage()
      this.drawHeader(false)
      this.flush()
    }
    const y = doc.y
    doc
      .font(FONTS.oblique)
      .fontSize(this.size)
      .fillColor('#000000')
      .text(text, this.left + PAD, y + PAD, { width: width - 2 * PAD })
    doc.x = this.left
    doc.y = y + h
  }

  /** Leaves a gap after the table and resets the font. */
  end(): void {
    this.flush()
    this.doc.moveDown(0.6)
    this.doc.font(FONTS.regular).fontSize(10)
  }
}

/** A whole (small) table in one call. */
export function drawTable(doc: Doc, columns: Column[], rows: string[][], opts: { emptyText?: string; boldLast?: boolean } = {}): void {
  const t = new Table(doc, columns)
  if (rows.length === 0 && opts.emptyText) t.addSpanningRow(opts.emptyText)
  rows.forEach((r, i) => t.addRow(r, { bold: opts.boldLast && i === rows.length - 1 }))
  t.end()
}
