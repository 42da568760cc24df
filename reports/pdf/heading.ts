import { ensureSpace, frame, type Doc } from './document.js'

export function title(doc: Doc, text: string): void {
  doc.font('Helvetica-Bold').fontSize(20).text(text, frame(doc).left, doc.y, { width: frame(doc).width })
  doc.moveDown(0.5)
  doc.font('Helvetica').fontSize(10)
}

/** A section heading; starts a new page when fewer than ~4 lines would follow it. */
export function heading(doc: Doc, text: string, level: 1 | 2 = 1): void {
  ensureSpace(doc, 80)
  doc.moveDown(level === 1 ? 0.8 : 0.5)
  doc.font('Helvetica-Bold').fontSize(level === 1 ? 14 : 11).text(text, frame(doc).left, doc.y, { width: frame(doc).width })
  doc.moveDown(0.3)
  doc.font('Helvetica').fontSize(10)
}

export function paragraph(doc: Doc, text: string, opts: { size?: number; bold?: boolean } = {}): void {
  doc.font(opts.bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(opts.size ?? 10)
  doc.text(text, frame(doc).left, doc.y, { width: frame(doc).width })
  doc.moveDown(0.3)
  doc.font('Helvetica').fontSize(10)
}

/** "Label: value" lines, label in bold. */
export function keyValues(doc: Doc, rows: Array<[string, string]>): void {
  const f = frame(doc)
  for (const [k, v] of rows) {
    // A row moves to the next page whole: a wrapped name or value is never split from its pair.
    const keyHeight = doc.font('Helvetica-Bold').fontSize(10).heightOfString(k, { width: 140 })
    const valueHeight = doc.font('Helvetica').fontSize(10).heightOfString(v, { width: f.width - 150 })
    ensureSpace(doc, Math.max(14, keyHeight, valueHeight))
    const y = doc.y
    doc.font('Helvetica-Bold').fontSize(10).text(k, f.left, y, { width: 140 })
    const h1 = doc.y - y
    doc.font('Helvetica').text(v, f.left + 150, y, { width: f.width - 150 })
    doc.y = Math.max(doc.y, y + h1)
  }
  doc.moveDown(0.3)
}
