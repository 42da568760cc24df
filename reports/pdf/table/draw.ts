import type { Doc } from '../document.js'
import { num, useFontOnPage } from '../raw.js'
import { PAD, type Column, type RowLayout } from './measure.js'

// Drawing a measured row as one block of content-stream operators (reports/pdf/raw.ts): the
// background fill, one BT..ET with a Tm and TJ per line, and the rule under the row. Nothing is
// written to the page here; index.ts collects a page's rows and writes them in one chunk.

export interface RowPlacement {
  left: number
  widths: number[]
  columns: Column[]
}

export interface DrawnRow {
  /** The row's operators, in page (y-down) coordinates. */
  ops: string
  /** The row's text, line by line in the order it is drawn (the page's text digest). */
  text: string[]
}

export const HEADER_FILL = '#dde3ea'
export const STRIPE_FILL = '#f4f6f8'
const RULE_COLOUR = '#999999'

export function drawRow(doc: Doc, table: RowPlacement, row: RowLayout, y: number, fill?: string): DrawnRow {
  const { left, widths, columns } = table
  const { cells, h } = row
  const total = widths.reduce((a, b) => a + b, 0)
  const pageH = doc.page.height
  const ops: string[] = []
  const text: string[] = []
  if (fill) ops.push(`q\n${rgb(fill)} rg\n${num(left)} ${num(y)} ${num(total)} ${num(h)} re\nf\nQ`)
  // text is set in the PDF's own y-up system: undo pdfkit's page flip for this block
  ops.push(`q\n1 0 0 -1 0 ${num(pageH)} cm\nBT\n0 0 0 rg`)
  let x = left
  let current = ''
  cells.forEach(({ lines, wrapper }, i) => {
    const inner = widths[i]! - 2 * PAD
    const align = columns[i]!.align ?? 'left'
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
      ops.push(
        `1 0 0 1 ${num(x + PAD + dx)} ${num(top - j * wrapper.lineHeight)} Tm\n${line.tj ?? (line.tj = wrapper.metrics.showText(line.text))}`,
      )
      text.push(line.text)
    })
    x += widths[i]!
  })
  ops.push('ET\nQ')
  ops.push(`q\n0.3 w\n${rgb(RULE_COLOUR)} RG\n${num(left)} ${num(y + h)} m\n${num(x)} ${num(y + h)} l\nS\nQ`)
  return { ops: ops.join('\n'), text }
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
