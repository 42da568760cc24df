import { ensureSpace, FONTS, frame, type Doc } from './document.js'

// A horizontal bar chart drawn as vector paths (rectangles and text), never as an image.

export interface Bar {
  label: string
  value: number
  /** What is printed after the bar; defaults to the value. */
  display?: string
}

export function barChart(doc: Doc, bars: Bar[], opts: { title?: string; barHeight?: number; color?: string } = {}): void {
  if (bars.length === 0) return
  const f = frame(doc)
  const barH = opts.barHeight ?? 12
  const gap = 4
  const labelW = f.width * 0.35
  const valueW = 60
  const plotW = f.width - labelW - valueW - 10
  const max = Math.max(1, ...bars.map((b) => b.value))
  if (opts.title) {
    ensureSpace(doc, 30 + barH + gap)
    doc.font(FONTS.bold).fontSize(9).text(opts.title, f.left, doc.y, { width: f.width })
    doc.moveDown(0.2)
  }
  doc.font(FONTS.regular).fontSize(8)
  for (const b of bars) {
    ensureSpace(doc, barH + gap)
    const y = doc.y
    doc.fillColor('#000000').text(b.label, f.left, y + 2, { width: labelW - 6, height: barH, ellipsis: true, lineBreak: false })
    const w = Math.max(b.value > 0 ? 1 : 0, (b.value / max) * plotW)
    if (w > 0) doc.rect(f.left + labelW, y, w, barH).fill(opts.color ?? '#005eb8')
    doc.fillColor('#000000').text(b.display ?? String(b.value), f.left + labelW + w + 4, y + 2, { width: valueW, lineBreak: false })
    doc.x = f.left
    doc.y = y + barH + gap
  }
  doc.moveDown(0.6)
  doc.font(FONTS.regular).fontSize(10)
}
