import { FONTS, frame, type Doc, type FontName } from './document.js'
import { recordText } from './page-text.js'
import { currentFont, FontMetrics, num, useFontOnPage, writeContent, type PdfFont } from './raw.js'

// A table that is written row by row, so a 100,000-row log never exists in memory at once.
// Rows are measured before they are drawn: a row that does not fit starts a new page, and the
// header is repeated at the top of each page the table continues on.
//
// Nothing is ever broken inside a word (docs/decisions/022-report-typography.md): prose cells
// wrap at spaces only, identifier columns (`token`: ids, pseudonyms, references, digests) never
// wrap and are drawn in the monospaced font, a column can be sized to hold a sample value whole
// (`fit`), and a cell whose longest word or token is still wider than its column is drawn in a
// smaller size (just that cell) so that it fits. Someone searching the PDF for a pseudonym
// taken from a finding finds it.
//
// Speed (the audit pack's log is ~100,000 rows): cells are wrapped here, not by pdfkit's
// `text`/`heightOfString` (which lay every string out twice, glyph by glyph), with the lines of
// a cell cached by column width and text (practice, recipient, purpose, legal basis and level
// repeat on almost every row), widths from cached per-character metrics (FontMetrics), and a row
// drawn as one block of text operators (reports/pdf/raw.ts). The height a row is measured with
// is exactly the height it is drawn with.
//
// Rows reach the page's content stream in one chunk per page: when the table starts a page,
// draws a spanning row, or ends. Between `new Table` and `end()` nothing else may be drawn.

export interface Column {
  header: string
  /** Relative width: the columns share the page width in these proportions. */
  width: number
  align?: 'left' | 'right' | 'center'
  /** An identifier column (id, pseudonym, reference, code, digest): never wrapped, monospaced. */
  token?: boolean
  /** A value the column must hold on one line at the table's size (e.g. the longest pseudonym): its width is the column's minimum. */
  fit?: string
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

/** A cell's lines, and its widest word (or line, for a token), at one font and size. */
interface Wrapped {
  lines: Line[]
  widest: number
}

/** Wrapped lines of cell texts in one font and size, cached by column width and text. */
class Wrapper {
  private readonly caches = new Map<number, Map<string, Wrapped> | null>()
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

  lines(text: string, maxWidth: number, token: boolean): Wrapped {
    const key = token ? -maxWidth : maxWidth
    let cache = this.caches.get(key)
    if (cache === undefined) this.caches.set(key, (cache = new Map()))
    if (cache === null) return this.wrap(text, maxWidth, token)
    let wrapped = cache.get(text)
    if (!wrapped) {
      wrapped = this.wrap(text, maxWidth, token)
      // a column of (nearly) unique values (ids, times, pseudonyms): caching them only makes
      // long-lived garbage, so that column width stops caching
      if (cache.size >= LINE_CACHE_MAX) this.caches.set(key, null)
      else cache.set(text, wrapped)
    }
    return wrapped
  }

  /** Greedy wrapping at spaces only (a token: at line feeds only); words are never broken. */
  private wrap(text: string, maxWidth: number, token: boolean): Wrapped {
    const out: Line[] = []
    let widest = 0
    for (const para of text.split('\n')) {
      const whole = this.width(para)
      if (token || whole <= maxWidth) {
        out.push({ text: para, width: whole })
        if (token) widest = Math.max(widest, whole) // a line that fits has no word wider than the column
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
        // a word wider than the column stays whole on its own line; the cell is then drawn smaller
        line = word
        widest = Math.max(widest, this.width(word))
      }
      out.push({ text: line, width: this.width(line) })
    }
    return { lines: out, widest }
  }
}

interface CellLayout {
  lines: Line[]
  wrapper: Wrapper
}

const NON_ASCII = /[^\x00-\x7f]/

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
    this.widths = this.columnWidths(f.width)
    this.left = f.left
    this.drawHeader(true)
  }

  private get size() {
    return this.opts.fontSize ?? 8
  }

  /** The columns' widths: in proportion, but each at least its `fit` sample's width (taken from the others' surplus). */
  private columnWidths(total: number): number[] {
    const sum = this.columns.reduce((s, c) => s + c.width, 0)
    const widths = this.columns.map((c) => (c.width / sum) * total)
    const min = this.columns.map((c) => (c.fit ? this.wrapper(this.cellFont(c, false), this.size).metrics.width(c.fit) + 2 * PAD + 0.5 : 0))
    if (min.reduce((a, b) => a + b, 0) > total) return widths // cannot all fit: cells shrink instead
    for (let round = 0; round < this.columns.length; round++) {
      const deficit = widths.reduce((d, w, i) => d + Math.max(0, min[i]! - w), 0)
      if (deficit <= 0.001) break
      const surplus = widths.reduce((s, w, i) => s + Math.max(0, w - min[i]!), 0)
      widths.forEach((w, i) => {
        widths[i] = w < min[i]! ? min[i]! : w - ((w - min[i]!) / surplus) * deficit
      })
    }
    return widths
  }

  private cellFont(c: Column, bold: boolean): FontName {
    return c.token ? FONTS.mono : bold ? FONTS.bold : FONTS.regular
  }

  private wrapper(font: FontName, size: number): Wrapper {
    const key = `${font}|${size}`
    let w = this.wrappers.get(key)
    if (!w) {
      this.doc.font(font)
      this.wrappers.set(key, (w = new Wrapper(currentFont(this.doc), size)))
    }
    return w
  }

  /** One cell's lines at the table's size, or smaller when its widest word or token would not fit. */
  private cell(text: string, width: number, font: FontName, token: boolean): CellLayout {
    if (NON_ASCII.test(text)) text = text.normalize('NFC') // one glyph per letter (ŵ, ł), as typed or decomposed
    const inner = width - 2 * PAD
    let wrapper = this.wrapper(font, this.size)
    let { lines, widest } = wrapper.lines(text, inner, token)
    if (widest > inner) {
      // widths scale with the size: this size makes the widest word fit (1/20 pt steps bound the caches)
      const size = Math.floor(((this.size * inner) / widest) * 20) / 20
      wrapper = this.wrapper(font, size)
      lines = wrapper.lines(text, inner, token).lines
    }
    return { lines, wrapper }
  }

  /** Each cell's layout and the row's height. */
  private layout(cells: string[], bold: boolean, header = false): { cells: CellLayout[]; h: number } {
    let h = 0
    const out = cells.map((c, i) => {
      const col = this.columns[i]!
      const l = this.cell(c, this.widths[i]!, header ? FONTS.bold : this.cellFont(col, bold), !header && col.token === true)
      h = Math.max(h, l.lines.length * l.wrapper.lineHeight)
      return l
    })
    return { cells: out, h: h + 2 * PAD }
  }

  private drawRow(cells: CellLayout[], y: number, h: number, fill?: string): void {
    const doc = this.doc
    const total = this.widths.reduce((a, b) => a + b, 0)
    const pageH = doc.page.height
    const ops: string[] = []
    if (fill) ops.push(`q\n${rgb(fill)} rg\n${num(this.left)} ${num(y)} ${num(total)} ${num(h)} re\nf\nQ`)
    ops.push(`q\n1 0 0 -1 0 ${num(pageH)} cm\nBT\n0 0 0 rg`)
    let x = this.left
    let current = ''
    cells.forEach(({ lines, wrapper }, i) => {
      const inner = this.widths[i]! - 2 * PAD
      const align = this.columns[i]!.align ?? 'left'
      const pdfFont = wrapper.font
      const top = pageH - (y + PAD) - (pdfFont.ascender / 1000) * wrapper.size // first baseline, y up
      lines.forEach((line, j) => {
        if (line.text === '') return
        const tf = `/${pdfFont.id} ${num(wrapper.size)} Tf`
        if (tf !== current) {
          useFontOnPage(doc, pdfFont)
          ops.push(tf)
          current = tf
        }
        const dx = align === 'right' ? inner - line.width : align === 'center' ? (inner - line.width) / 2 : 0
        ops.push(`1 0 0 1 ${num(x + PAD + dx)} ${num(top - j * wrapper.lineHeight)} Tm\n${line.tj ?? (line.tj = wrapper.metrics.showText(line.text))}`)
        this.pendingText.push(line.text)
      })
      x += this.widths[i]!
    })
    ops.push('ET\nQ')
    ops.push(`q\n0.3 w\n${rgb('#999999')} RG\n${num(this.left)} ${num(y + h)} m\n${num(x)} ${num(y + h)} l\nS\nQ`)
    this.pending.push(ops.join('\n'))
    doc.font(FONTS.regular).fontSize(this.size)
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
    const { cells, h } = this.layout(
      this.columns.map((c) => c.header),
      true,
      true,
    )
    // never leave a header alone at the foot of a page
    if (first && this.doc.y + h * 2.5 > frame(this.doc).bottom) this.newPage()
    this.drawRow(cells, this.doc.y, h, '#dde3ea')
  }

  addRow(cells: string[], opts: { bold?: boolean } = {}): void {
    const { cells: laid, h } = this.layout(cells, opts.bold === true)
    if (this.doc.y + h > frame(this.doc).bottom) {
      this.newPage()
      this.drawHeader(false)
    }
    const fill = this.rowIndex % 2 === 1 ? '#f4f6f8' : undefined
    this.rowIndex += 1
    this.drawRow(laid, this.doc.y, h, fill)
  }

  /** A row with one cell across the whole width (e.g. "None recorded."). */
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
    doc.font(FONTS.oblique).fontSize(this.size).fillColor('#000000').text(text, this.left + PAD, y + PAD, { width: width - 2 * PAD })
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
