import { ensureSpace, FONTS, frame, type Doc } from './document.js'

// Titles, headings, paragraphs and "label: value" lines. Their text is broken into lines here,
// at spaces only: pdfkit's own line breaking may break after a hyphen (P-8XK2-|Q7MA-ZR4N) or
// inside a long word, and a reader searching for a pseudonym, reference or code would not find
// it (docs/decisions/022-report-typography.md).

/** `text` as lines no wider than `width` in the current font and size, broken at spaces and line feeds only. */
export function wrapAtSpaces(doc: Doc, text: string, width: number): string[] {
  const out: string[] = []
  for (const para of text.normalize('NFC').split('\n')) {
    if (doc.widthOfString(para) <= width) {
      out.push(para)
      continue
    }
    let line = ''
    for (const word of para.split(' ')) {
      if (word === '') continue
      const joined = line ? `${line} ${word}` : word
      if (!line || doc.widthOfString(joined) <= width)
        line = joined // a word wider than the line stays whole
      else {
        out.push(line)
        line = word
      }
    }
    out.push(line)
  }
  return out
}

/** Draws lines at x from the current y, each moved to a new page when it would not fit. */
function drawLines(doc: Doc, lines: string[], x: number): void {
  const h = doc.currentLineHeight(true)
  for (const line of lines) {
    ensureSpace(doc, h)
    const y = doc.y
    if (line) doc.text(line, x, y, { lineBreak: false }) // without a width pdfkit moves x, not y
    doc.y = y + h
  }
  doc.x = frame(doc).left
}

function block(doc: Doc, text: string): void {
  const f = frame(doc)
  drawLines(doc, wrapAtSpaces(doc, text, f.width), f.left)
}

export function title(doc: Doc, text: string): void {
  doc.font(FONTS.bold).fontSize(20)
  block(doc, text)
  doc.moveDown(0.5)
  doc.font(FONTS.regular).fontSize(10)
}

/** A section heading; starts a new page when fewer than ~4 lines would follow it. */
export function heading(doc: Doc, text: string, level: 1 | 2 = 1): void {
  ensureSpace(doc, 80)
  doc.moveDown(level === 1 ? 0.8 : 0.5)
  doc.font(FONTS.bold).fontSize(level === 1 ? 14 : 11)
  block(doc, text)
  doc.moveDown(0.3)
  doc.font(FONTS.regular).fontSize(10)
}

export function paragraph(doc: Doc, text: string, opts: { size?: number; bold?: boolean } = {}): void {
  doc.font(opts.bold ? FONTS.bold : FONTS.regular).fontSize(opts.size ?? 10)
  block(doc, text)
  doc.moveDown(0.3)
  doc.font(FONTS.regular).fontSize(10)
}

/** Width of the labels of keyValues: "Findings about the period" on one line in DejaVu Sans Bold 10. */
const KEY_WIDTH = 165

/** "Label: value" lines, label in bold. */
export function keyValues(doc: Doc, rows: Array<[string, string]>): void {
  const f = frame(doc)
  for (const [k, v] of rows) {
    const keyLines = wrapAtSpaces(doc.font(FONTS.bold).fontSize(10), k, KEY_WIDTH)
    const valueLines = wrapAtSpaces(doc.font(FONTS.regular).fontSize(10), v, f.width - KEY_WIDTH - 10)
    const lh = doc.currentLineHeight(true)
    // A row moves to the next page whole: a wrapped name or value is never split from its pair
    // (unless it is longer than a page).
    ensureSpace(doc, Math.max(14, keyLines.length * lh, valueLines.length * lh))
    const y = doc.y
    doc.font(FONTS.bold).fontSize(10)
    drawLines(doc, keyLines, f.left)
    const keyEnd = doc.y
    doc.y = y
    doc.font(FONTS.regular).fontSize(10)
    drawLines(doc, valueLines, f.left + KEY_WIDTH + 10)
    doc.y = Math.max(doc.y, keyEnd)
  }
  doc.moveDown(0.3)
}
