import { frame, type Doc } from './document.js'
import { recordText } from './page-text.js'
import { currentFont, FontMetrics, num, useFontOnPage, writeContent, type PdfFont } from './raw.js'

// A table that is written row by row, so a 100,000-row log never exists in memory at once.
// Rows are measured before they are drawn: a row that does not fit starts a new page, and the
// header is repeated at the top of each page the table continues on. Long cells wrap.
//
// Speed (the audit pack's log is ~100,000 rows): cells are wrapped here, not by pdfkit's
// `text`/`heightOfString` (which lay every string out twice, glyph by glyph), with the lines of
// a cell cached by column width and text (practice, recipient, purpose, legal basis and level
// repeat on almost every row), widths from cached per-character metrics (FontMetrics), and a row
// drawn as one block of text operators (reports/pdf/raw.ts).
// Wrapping is greedy at spaces (a word wider than the column is broken between characters);
// the height a row is measured with is exactly the height it is drawn with.
//
// Rows reach the page's content stream in one chunk per page: when the table starts a page,
// draws a spanning row, or ends. Between `new Table` and `end()` nothing else may be drawn.

export interface Column {
  header: string
  /** Relative width: the columns share the page width in these proportions. */
  width: number
  align?: 'left' | 'right' | 'center'
}

const PAD = 3
/** Distinct texts cached per column width; a column with more stops caching (see lines()). */
const LINE_CACHE_MAX = 2_000

interface Line {
  text: string
  width: number
  /** The TJ operator, made when first drawn. */
  tj?: string
}

/** Wrapped lines of cell texts in one font and size, cached by column width and text. */
class Wrapper {
  private readonly caches = new Map<number, Map<string, Line[]> | null>()
  readonly lineHeight: number
  readonly metrics: FontMetrics

  constructor(
    readonly font: PdfFont,
    readonly size: number,
  ) {
    this.lineHeight = font.lineHeight(size, true)
    this.metrics = new FontMetrics(font, size)
  }

  private width(s: string): number {
    return this.metrics.width(s)
  }

  lines(text: string, maxWidth: number): Line[] {
    let cache = this.caches.get(maxWidth)
    if (cache === undefined) this.caches.set(maxWidth, (cache = new Map()))
    if (cache === null) return this.wrap(text, maxWidth)
    let lines = cache.get(text)
    if (!lines) {
      lines = this.wrap(text, maxWidth)
      // a column of (nearly) unique values (ids, times, pseudonyms): caching them only makes
      // long-lived garbage, so that column width stops caching
      if (cache.size >= LINE_CACHE_MAX) this.caches.set(maxWidth, null)
      else cache.set(text, lines)
    }
    return lines
  }

  private wrap(text: string, maxWidth: number): Line[] {
    const out: Line[] = []
    for (const para of text.split('\n')) {
      const whole = this.width(para)
      if (whole <= maxWidth) {
        out.push({ text: para, width: whole })
        continue
      }
      let line = ''
      for (const word of para.split(' ')) {
        if (word === '') continue
        const joined = line ? `${line} ${word}` : word
        if (this.width(joined) <= maxWidth) {
          line = joined
          continue
        }
        if (line) out.push({ text: line, width: this.width(line) })
        line = ''
        if (this.width(word) <= maxWidth) {
          line = word
          continue
        }
        // a word wider than the column: break it between characters
        for (const ch of word) {
          if (line && this.width(line + ch) > maxWidth) {
            out.push({ text: line, width: this.width(line) })
            line = ch
          } else line += ch
        }
      }
      out.push({ text: line, width: this.width(line) })
    }
    return out
  }
}

export class Table {
  private readonly widths: number[]
  private readonly left: number
  private rowIndex = 0
  private readonly wrappers = new Map<string, Wrapper>()
  /** Operators of rows drawn on the current page, written to it as one chunk by flush(). */
  private readonly pending: string[] = []
  /** The text of the pending rows, in the order it is written (the page's text digest). */
  private readonly pendingText: string[] = []

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

  private wrapper(font: string): Wrapper {
    let w = this.wrappers.get(font)
    if (!w) {
      this.doc.font(font).fontSize(this.size)
      this.wrappers.set(font, (w = new Wrapper(currentFont(this.doc), this.size)))
    }
    return w
  }

  /** Each cell's lines and the row's height. */
  private layout(cells: string[], font: string): { lines: Line[][]; h: number; wrapper: Wrapper } {
    const wrapper = this.wrapper(font)
    let n = 1
    const lines = cells.map((c, i) => {
      const l = wrapper.lines(c, this.widths[i]! - 2 * PAD)
      n = Math.max(n, l.length)
      return l
    })
    return { lines, h: n * wrapper.lineHeight + 2 * PAD, wrapper }
  }

  private drawRow(lines: Line[][], y: number, h: number, font: string, wrapper: Wrapper, fill?: string): void {
    const doc = this.doc
    const pdfFont = wrapper.font
    const total = this.widths.reduce((a, b) => a + b, 0)
    const pageH = doc.page.height
    const top = pageH - (y + PAD) - (pdfFont.ascender / 1000) * this.size // first baseline, y up
    useFontOnPage(doc, pdfFont)
    const ops: string[] = []
    if (fill) ops.push(`q\n${rgb(fill)} rg\n${num(this.left)} ${num(y)} ${num(total)} ${num(h)} re\nf\nQ`)
    ops.push(`q\n1 0 0 -1 0 ${num(pageH)} cm\nBT\n0 0 0 rg\n/${pdfFont.id} ${num(this.size)} Tf`)
    let x = this.left
    lines.forEach((cell, i) => {
      const inner = this.widths[i]! - 2 * PAD
      const align = this.columns[i]!.align ?? 'left'
      cell.forEach((line, j) => {
        if (line.text === '') return
        const dx = align === 'right' ? inner - line.width : align === 'center' ? (inner - line.width) / 2 : 0
        ops.push(`1 0 0 1 ${num(x + PAD + dx)} ${num(top - j * wrapper.lineHeight)} Tm\n${line.tj ?? (line.tj = wrapper.metrics.showText(line.text))}`)
        this.pendingText.push(line.text)
      })
      x += this.widths[i]!
    })
    ops.push('ET\nQ')
    ops.push(`q\n0.3 w\n${rgb('#999999')} RG\n${num(this.left)} ${num(y + h)} m\n${num(x)} ${num(y + h)} l\nS\nQ`)
    this.pending.push(ops.join('\n'))
    doc.font(font).fontSize(this.size)
    doc.x = this.left
    doc.y = y + h
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
    const { lines, h, wrapper } = this.layout(
      this.columns.map((c) => c.header),
      'Helvetica-Bold',
    )
    // never leave a header alone at the foot of a page
    if (first && this.doc.y + h * 2.5 > frame(this.doc).bottom) this.newPage()
    this.drawRow(lines, this.doc.y, h, 'Helvetica-Bold', wrapper, '#dde3ea')
  }

  addRow(cells: string[], opts: { bold?: boolean } = {}): void {
    const font = opts.bold ? 'Helvetica-Bold' : 'Helvetica'
    const { lines, h, wrapper } = this.layout(cells, font)
    if (this.doc.y + h > frame(this.doc).bottom) {
      this.newPage()
      this.drawHeader(false)
    }
    const fill = this.rowIndex % 2 === 1 ? '#f4f6f8' : undefined
    this.rowIndex += 1
    this.drawRow(lines, this.doc.y, h, font, wrapper, fill)
  }

  /** A row with one cell across the whole width (e.g. "None recorded."). */
  addSpanningRow(text: string): void {
    const doc = this.doc
    const width = this.widths.reduce((a, b) => a + b, 0)
    this.flush()
    doc.font('Helvetica-Oblique').fontSize(this.size)
    const h = doc.heightOfString(text, { width: width - 2 * PAD }) + 2 * PAD
    if (doc.y + h > frame(doc).bottom) {
      this.newPage()
      this.drawHeader(false)
      this.flush()
    }
    const y = doc.y
    doc.font('Helvetica-Oblique').fontSize(this.size).fillColor('#000000').text(text, this.left + PAD, y + PAD, { width: width - 2 * PAD })
    doc.x = this.left
    doc.y = y + h
  }

  /** Leaves a gap after the table and resets the font. */
  end(): void {
    this.flush()
    this.doc.moveDown(0.6)
    this.doc.font('Helvetica').fontSize(10)
  }
}

const rgbCache = new Map<string, string>()
/** '#rrggbb' as the three operands of rg/RG. */
function rgb(hex: string): string {
  let s = rgbCache.get(hex)
  if (!s) {
    const n = parseInt(hex.slice(1), 16)
    s = [(n >> 16) & 255, (n >> 8) & 255, n & 255].map((v) => num(v / 255)).join(' ')
    rgbCache.set(hex, s)
  }
  return s
}

/** A whole (small) table in one call. */
export function drawTable(doc: Doc, columns: Column[], rows: string[][], opts: { emptyText?: string; boldLast?: boolean } = {}): void {
  const t = new Table(doc, columns)
  if (rows.length === 0 && opts.emptyText) t.addSpanningRow(opts.emptyText)
  rows.forEach((r, i) => t.addRow(r, { bold: opts.boldLast && i === rows.length - 1 }))
  t.end()
}
