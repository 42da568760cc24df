import { FONTS, type FontName } from '../document.js'
import type { Line, Wrapper, Wrappers } from './wrap.js'

// Measuring a table before anything is drawn: the columns' widths, and each row's cells (their
// lines, font and size) and height. The height a row is measured with is exactly the height it
// is drawn with (draw.ts), so the page-break decision (index.ts) is made on the real height.

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

/** Space between a cell's edge and its text, on every side. */
export const PAD = 3

export interface CellLayout {
  lines: Line[]
  wrapper: Wrapper
}

export interface RowLayout {
  cells: CellLayout[]
  /** The row's height, padding included. */
  h: number
}

/** What measuring a table's rows needs: its columns, their widths, its font size and its wrappers. */
export interface TableMeasure {
  columns: Column[]
  widths: number[]
  size: number
  wrappers: Wrappers
}

const NON_ASCII = /[\u0080-\uffff]/ // any UTF-16 unit above ASCII

export function cellFont(c: Column, bold: boolean): FontName {
  return c.token ? FONTS.mono : bold ? FONTS.bold : FONTS.regular
}

/** The columns' widths: in proportion, but each at least its `fit` sample's width (taken from the others' surplus). */
export function columnWidths(columns: Column[], total: number, size: number, wrappers: Wrappers): number[] {
  const sum = columns.reduce((s, c) => s + c.width, 0)
  const widths = columns.map((c) => (c.width / sum) * total)
  const min = columns.map((c) => (c.fit ? wrappers.get(cellFont(c, false), size).metrics.width(c.fit) + 2 * PAD + 0.5 : 0))
  if (min.reduce((a, b) => a + b, 0) > total) return widths // cannot all fit: cells shrink instead
  for (let round = 0; round < columns.length; round++) {
    const deficit = widths.reduce((d, w, i) => d + Math.max(0, min[i]! - w), 0)
    if (deficit <= 0.001) break
    const surplus = widths.reduce((s, w, i) => s + Math.max(0, w - min[i]!), 0)
    widths.forEach((w, i) => {
      widths[i] = w < min[i]! ? min[i]! : w - ((w - min[i]!) / surplus) * deficit
    })
  }
  return widths
}

/** One cell's lines at the table's size, or smaller when its widest word or token would not fit. */
export function measureCell(table: TableMeasure, text: string, width: number, font: FontName, token: boolean): CellLayout {
  if (NON_ASCII.test(text)) text = text.normalize('NFC') // one glyph per letter (ŵ, ł), as typed or decomposed
  const inner = width - 2 * PAD
  let wrapper = table.wrappers.get(font, table.size)
  let { lines, widest } = wrapper.lines(text, inner, token)
  if (widest > inner) {
    // widths scale with the size: this size makes the widest word fit (1/20 pt steps bound the caches)
    const size = Math.floor(((table.size * inner) / widest) * 20) / 20
    wrapper = table.wrappers.get(font, size)
    lines = wrapper.lines(text, inner, token).lines
  }
  return { lines, wrapper }
}

/** Each cell's layout and the row's height. A header row is bold and wraps its token columns as prose. */
export function measureRow(table: TableMeasure, cells: string[], bold: boolean, header = false): RowLayout {
  let h = 0
  const out = cells.map((c, i) => {
    const col = table.columns[i]!
    const l = measureCell(table, c, table.widths[i]!, header ? FONTS.bold : cellFont(col, bold), !header && col.token === true)
    h = Math.max(h, l.lines.length * l.wrapper.lineHeight)
    return l
  })
  return { cells: out, h: h + 2 * PAD }
}
