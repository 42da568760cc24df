import { frame, type Doc } from './document.js'

// A table that is written row by row, so a 100,000-row log never exists in memory at once.
// Rows are measured before they are drawn: a row that does not fit starts a new page, and the
// header is repeated at the top of each page the table continues on. Long cells wrap.

export interface Column {
  header: string
  /** Relative width: the columns share the page width in these proportions. */
  width: number
  align?: 'left' | 'right' | 'center'
}

const PAD = 3

export class Table {
  private readonly widths: number[]
  private readonly left: number
  private rowIndex = 0

  constructor(
    private readonly doc: Doc,
    private readonly columns: Column[],
    private readonly opts: { fontSize?: number } = {},
  ) {
    const f = frame(doc)
    const total = columns.reduce((s, c) => s + c.width, 0)
    this.widths = columns.map((c) => (c.width / total) * f.width)
    this.left = f.left
    this.drawHeader(true)
  }

  private get size() {
    return this.opts.fontSize ?? 8
  }

  private measure(cells: string[], font: string): number {
    this.doc.font(font).fontSize(this.size)
    let h = 0
    cells.forEach((c, i) => {
      h = Math.max(h, this.doc.heightOfString(c || ' ', { width: this.widths[i]! - 2 * PAD }))
    })
    return h + 2 * PAD
  }

  private drawCells(cells: string[], y: number, h: number, font: string, fill?: string): void {
    const doc = this.doc
    if (fill) doc.rect(this.left, y, this.widths.reduce((a, b) => a + b, 0), h).fill(fill)
    doc.fillColor('#000000').font(font).fontSize(this.size)
    let x = this.left
    cells.forEach((c, i) => {
      const w = this.widths[i]!
      doc.text(c, x + PAD, y + PAD, { width: w - 2 * PAD, align: this.columns[i]!.align ?? 'left' })
      x += w
    })
    doc.moveTo(this.left, y + h).lineTo(x, y + h).lineWidth(0.3).strokeColor('#999999').stroke()
    doc.x = this.left
    doc.y = y + h
  }

  private drawHeader(first: boolean): void {
    const header = this.columns.map((c) => c.header)
    const h = this.measure(header, 'Helvetica-Bold')
    // never leave a header alone at the foot of a page
    if (first && this.doc.y + h * 2.5 > frame(this.doc).bottom) this.doc.addPage()
    this.drawCells(header, this.doc.y, h, 'Helvetica-Bold', '#dde3ea')
  }

  addRow(cells: string[], opts: { bold?: boolean } = {}): void {
    const font = opts.bold ? 'Helvetica-Bold' : 'Helvetica'
    const h = this.measure(cells, font)
    if (this.doc.y + h > frame(this.doc).bottom) {
      this.doc.addPage()
      this.drawHeader(false)
    }
    const fill = this.rowIndex % 2 === 1 ? '#f4f6f8' : undefined
    this.rowIndex += 1
    this.drawCells(cells, this.doc.y, h, font, fill)
  }

  /** A row with one cell across the whole width (e.g. "None recorded."). */
  addSpanningRow(text: string): void {
    const doc = this.doc
    const width = this.widths.reduce((a, b) => a + b, 0)
    doc.font('Helvetica-Oblique').fontSize(this.size)
    const h = doc.heightOfString(text, { width: width - 2 * PAD }) + 2 * PAD
    if (doc.y + h > frame(doc).bottom) {
      doc.addPage()
      this.drawHeader(false)
    }
    const y = doc.y
    doc.font('Helvetica-Oblique').fontSize(this.size).fillColor('#000000').text(text, this.left + PAD, y + PAD, { width: width - 2 * PAD })
    doc.x = this.left
    doc.y = y + h
  }

  /** Leaves a gap after the table and resets the font. */
  end(): void {
    this.doc.moveDown(0.6)
    this.doc.font('Helvetica').fontSize(10)
  }
}

/** A whole (small) table in one call. */
export function drawTable(doc: Doc, columns: Column[], rows: string[][], opts: { emptyText?: string; boldLast?: boolean } = {}): void {
  const t = new Table(doc, columns)
  if (rows.length === 0 && opts.emptyText) t.addSpanningRow(opts.emptyText)
  rows.forEach((r, i) => t.addRow(r, { bold: opts.boldLast && i === rows.length - 1 }))
  t.end()
}
