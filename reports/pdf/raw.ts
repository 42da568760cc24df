import type { Doc } from './document.js'

// Direct content-stream writing for the two places where going through pdfkit's text layout
// costs too much: the footer of every page (written at the end, once the page count is known)
// and table rows (the 100,000-row disclosure log). The reports' fonts are embedded TrueType
// (DejaVu, Identity-H): a string is written as the hex glyph ids pdfkit's `font.encode` gives,
// which also adds each glyph to the font's subset and its ToUnicode map, so what is written
// here is embedded and extracts as text like everything pdfkit draws itself. The operators are
// the ones pdfkit's own `_fragment` writes (same text positions, same kerning), minus the
// per-fragment save/flip/restore around each string.

/** The parts of pdfkit's font object used here (not in @types/pdfkit). */
export interface PdfFont {
  id: string
  ascender: number
  descender: number
  lineGap: number
  ref(): unknown
  encode(text: string): [string[], Array<{ xAdvance: number; advanceWidth: number }>]
  widthOfString(text: string, size: number): number
  lineHeight(size: number, includeGap?: boolean): number
}

export function currentFont(doc: Doc): PdfFont {
  return (doc as unknown as { _font: PdfFont })._font
}

export function currentFontSize(doc: Doc): number {
  return (doc as unknown as { _fontSize: number })._fontSize
}

/** Numbers as pdfkit writes them (at most 6 decimals). */
export function num(n: number): string {
  return String(Math.round(n * 1e6) / 1e6)
}

/** The TJ operator drawing `text` in `font`, with the font's kerning, as pdfkit writes it. */
export function showText(font: PdfFont, text: string): string {
  const [encoded, positions] = font.encode(text)
  const parts: string[] = []
  let last = 0
  const segment = (cur: number) => {
    if (last < cur) {
      const p = positions[cur - 1]!
      parts.push(`<${encoded.slice(last, cur).join('')}> ${num(-(p.xAdvance - p.advanceWidth))}`)
    }
    last = cur
  }
  for (let i = 0; i < positions.length; i++) {
    const p = positions[i]!
    if (p.xAdvance - p.advanceWidth !== 0) segment(i + 1)
  }
  segment(positions.length)
  return `[${parts.join(' ')}] TJ`
}

/**
 * A glyph id (4 hex digits, as `font.encode` gives it) as the two bytes of a PDF literal string,
 * one latin1 character each (half the bytes of hex to write and compress). The delimiters and
 * line ends are escaped: a bare CR in a literal string would be read as LF.
 */
function literalBytes(hex: string): string {
  let out = ''
  for (const b of [parseInt(hex.slice(0, 2), 16), parseInt(hex.slice(2, 4), 16)]) {
    if (b === 0x28 || b === 0x29 || b === 0x5c) out += `\\${String.fromCharCode(b)}`
    else if (b === 0x0d) out += '\\r'
    else if (b === 0x0a) out += '\\n'
    else out += String.fromCharCode(b)
  }
  return out
}

/** Appends operators to the current page's content stream in one chunk. */
export function writeContent(doc: Doc, ops: string): void {
  ;(doc.page as unknown as { write(chunk: Uint8Array): void }).write(Buffer.from(ops + '\n', 'latin1'))
}

/** Makes `font` usable by operators written on the current page. */
export function useFontOnPage(doc: Doc, font: PdfFont): void {
  const fonts = (doc.page as unknown as { fonts: Record<string, unknown> }).fonts
  if (fonts[font.id] == null) fonts[font.id] = font.ref()
}

/**
 * Widths and TJ operators of strings in one font and size, from per-character glyphs and
 * per-pair kerning looked up once each through `font.encode` (pdfkit shapes every word of every
 * string). Characters are laid out one by one with pair kerning, without ligatures (fi, fl):
 * what is measured is exactly what is drawn, and each glyph maps back to its one character.
 */
export class FontMetrics {
  private readonly chars = new Map<number, { bytes: string; advance: number }>()
  private readonly kerns = new Map<number, number>()
  private readonly scale: number

  constructor(
    readonly font: PdfFont,
    readonly size: number,
  ) {
    this.scale = size / 1000
  }

  private char(code: number) {
    let c = this.chars.get(code)
    if (!c) {
      const [encoded, positions] = this.font.encode(String.fromCodePoint(code))
      c = { bytes: encoded.map(literalBytes).join(''), advance: positions.reduce((w, p) => w + p.advanceWidth, 0) }
      this.chars.set(code, c)
    }
    return c
  }

  private kern(left: number, right: number): number {
    const key = left * 0x110000 + right
    let k = this.kerns.get(key)
    if (k === undefined) {
      const [, positions] = this.font.encode(String.fromCodePoint(left, right))
      // a ligature (one glyph for the pair) is not used here: no kerning between them
      k = positions.length === 2 ? positions[0]!.xAdvance - positions[0]!.advanceWidth : 0
      this.kerns.set(key, k)
    }
    return k
  }

  width(text: string): number {
    let w = 0
    let prev = -1
    for (let i = 0; i < text.length; i++) {
      let c = text.charCodeAt(i)
      if (c >= 0xd800 && c <= 0xdbff) c = text.codePointAt(i++)! // outside the BMP: two UTF-16 units
      w += this.char(c).advance
      if (prev >= 0) w += this.kern(prev, c)
      prev = c
    }
    return w * this.scale
  }

  /** The TJ operator drawing `text` as `width` measured it. */
  showText(text: string): string {
    const parts: string[] = []
    let run = ''
    for (let i = 0; i < text.length; i++) {
      let c = text.charCodeAt(i)
      if (c >= 0xd800 && c <= 0xdbff) c = text.codePointAt(i++)!
      run += this.char(c).bytes
      let next = i + 1 < text.length ? text.charCodeAt(i + 1) : -1
      if (next >= 0xd800 && next <= 0xdbff) next = text.codePointAt(i + 1)!
      const k = next >= 0 ? this.kern(c, next) : 0
      if (k !== 0) {
        parts.push(`(${run}) ${num(-k)}`)
        run = ''
      }
    }
    if (run) parts.push(`(${run}) 0`)
    return `[${parts.join(' ')}] TJ`
  }
}
