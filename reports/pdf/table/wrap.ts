import type { Doc, FontName } from '../document.js'
import { currentFont, FontMetrics, type PdfFont } from '../raw.js'

// Wrapping a cell's text into lines, in one font and size. Nothing is ever broken inside a
// word (docs/decisions/022-report-typography.md): prose wraps at spaces only, a token
// (identifier) at line feeds only. A word wider than the column stays whole on its own line;
// measure.ts then draws that cell smaller.
//
// Speed (the audit pack's log is ~100,000 rows): widths come from cached per-character
// metrics (FontMetrics), not pdfkit's `heightOfString` (which lays every string out twice,
// glyph by glyph), and the lines of a cell are cached by column width and text (practice,
// recipient, purpose, legal basis and level repeat on almost every row).

/** Distinct texts cached per column width; a column with more stops caching (see lines()). */
const LINE_CACHE_MAX = 2_000

export interface Line {
  text: string
  width: number
  /** The TJ operator, made when first drawn. */
  tj?: string
}

/** A cell's lines, and its widest word (or line, for a token), at one font and size. */
export interface Wrapped {
  lines: Line[]
  widest: number
}

/** Wrapped lines of cell texts in one font and size, cached by column width and text. */
export class Wrapper {
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

/** One Wrapper per font and size a table uses, made when first needed. */
export class Wrappers {
  private readonly byFont = new Map<string, Wrapper>()

  constructor(private readonly doc: Doc) {}

  get(font: FontName, size: number): Wrapper {
    const key = `${font}|${size}`
    let w = this.byFont.get(key)
    if (!w) {
      this.doc.font(font)
      this.byFont.set(key, (w = new Wrapper(currentFont(this.doc), size)))
    }
    return w
  }
}
