import crypto from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createDocument, endDocument, FONTS, frame, MARKING, type Doc, type FontName } from '../../../reports/pdf/document.js'
import { normalisePageText, pageTextDigests } from '../../../reports/pdf/page-text.js'
import { currentFont, FontMetrics, num, type PdfFont } from '../../../reports/pdf/raw.js'
import { drawTable, Table, type Column } from '../../../reports/pdf/table/index.js'

// The table's operators, read back from an uncompressed PDF: where each line of text is set,
// the fills and rules around rows, where a page breaks and what is repeated after it. These
// pin the measure/wrap/draw stages (reports/pdf/table/) together without a database.

const PAD = 3
const TOP = 60 // the frame's top margin: where a table starts on a fresh page
const HEADER_RGB = '0.866667 0.890196 0.917647'
const STRIPE_RGB = '0.956863 0.964706 0.972549'

interface Rendered {
  /** Each page's content stream, in page order. */
  pages: string[]
  digests: string[]
  fonts: Record<FontName, PdfFont>
  bottom: number
  pageHeight: number
}

/** Draws into a fresh uncompressed document and reads its page content streams back. */
async function render(draw: (doc: Doc) => void): Promise<Rendered> {
  const doc = createDocument({ title: 't', creationDate: new Date(0), compress: false })
  const fonts = {} as Record<FontName, PdfFont>
  for (const f of Object.values(FONTS)) {
    doc.font(f)
    fonts[f] = currentFont(doc)
  }
  doc.font(FONTS.regular).fontSize(10)
  const { bottom } = frame(doc)
  const pageHeight = doc.page.height
  const chunks: Buffer[] = []
  doc.on('data', (c: Buffer) => chunks.push(c))
  const ended = new Promise((resolve) => doc.on('end', resolve))
  draw(doc)
  const digests = pageTextDigests(doc)
  endDocument(doc)
  await ended
  return { pages: contentStreams(Buffer.concat(chunks).toString('latin1')), digests, fonts, bottom, pageHeight }
}

function contentStreams(pdf: string): string[] {
  const objects = new Map<number, string>()
  const start = /(\d+) 0 obj\n/g
  for (let m = start.exec(pdf); m; m = start.exec(pdf)) {
    const body = pdf.slice(m.index + m[0].length)
    const length = /^<<[\s\S]*?\/Length (\d+)\n>>\nstream\n/.exec(body)
    const dictEnd = body.indexOf('\nendobj')
    if (length && length.index === 0 && length[0].length < dictEnd) {
      objects.set(Number(m[1]), body.slice(length[0].length, length[0].length + Number(length[1])))
      start.lastIndex = m.index + m[0].length + length[0].length + Number(length[1])
    } else objects.set(Number(m[1]), body.slice(0, dictEnd))
  }
  const pagesTree = [...objects.values()].find((o) => o.includes('/Type /Pages'))!
  const kids = [.../\/Kids \[([^\]]*)\]/.exec(pagesTree)![1]!.matchAll(/(\d+) 0 R/g)].map((k) => Number(k[1]))
  return kids.map((id) => objects.get(Number(/\/Contents (\d+) 0 R/.exec(objects.get(id)!)![1]))!)
}

interface Shown {
  x: number
  y: number
  font: string
  size: number
  tj: string
}

/** The table's text: each Tm and the TJ after it, with the Tf in force. */
function shownText(stream: string): Shown[] {
  const out: Shown[] = []
  let font = ''
  let size = 0
  const lines = stream.split('\n')
  lines.forEach((line, i) => {
    const tf = /^\/(\S+) (\S+) Tf$/.exec(line)
    if (tf) [font, size] = [tf[1]!, Number(tf[2])]
    const tm = /^1 0 0 1 (\S+) (\S+) Tm$/.exec(line)
    if (tm && lines[i + 1]!.endsWith('] TJ')) out.push({ x: Number(tm[1]), y: Number(tm[2]), font, size, tj: lines[i + 1]! })
  })
  return out
}

/** The rules under rows: their y (page coordinates, y down) and x extent. */
function rules(stream: string): Array<{ y: number; x0: number; x1: number }> {
  return [...stream.matchAll(/0\.3 w\n0\.6 0\.6 0\.6 RG\n(\S+) (\S+) m\n(\S+) (\S+) l\nS/g)].map((m) => ({
    y: Number(m[2]),
    x0: Number(m[1]),
    x1: Number(m[3]),
  }))
}

function fills(stream: string, rgb: string): Array<{ x: number; y: number; w: number; h: number }> {
  return [...stream.matchAll(new RegExp(`${rgb} rg\\n(\\S+) (\\S+) (\\S+) (\\S+) re\\nf`, 'g'))].map((m) => ({
    x: Number(m[1]),
    y: Number(m[2]),
    w: Number(m[3]),
    h: Number(m[4]),
  }))
}

/** What the table writes for `text` in `font` at `size` (same font object, so the same subset glyph ids). */
function tj(font: PdfFont, size: number, text: string): string {
  return new FontMetrics(font, size).showText(text)
}

function baseline(r: Rendered, font: PdfFont, size: number, rowTop: number, line = 0): number {
  return Number(num(r.pageHeight - (rowTop + PAD) - (font.ascender / 1000) * size - line * font.lineHeight(size, true)))
}

const LEFT = 50
const WIDTH = 595.28 - 2 * LEFT
const COLUMNS: Column[] = [
  { header: 'Name', width: 3 },
  { header: 'Count', width: 1, align: 'right' },
]

describe('table operators', () => {
  it('sets header and row text at measured positions, with fills and a rule under each row', async () => {
    const r = await render((doc) =>
      drawTable(doc, COLUMNS, [
        ['Alpha', '12'],
        ['Beta', '3'],
      ]),
    )
    const [page] = r.pages
    const bold = r.fonts[FONTS.bold]
    const regular = r.fonts[FONTS.regular]
    const headerH = bold.lineHeight(8, true) + 2 * PAD
    const rowH = regular.lineHeight(8, true) + 2 * PAD
    const rightEdge = LEFT + WIDTH - PAD // a right-aligned cell's text ends here

    // the header: shaded, bold, at the top of the frame
    expect(fills(page!, HEADER_RGB)).toEqual([{ x: LEFT, y: TOP, w: WIDTH, h: headerH }])
    const text = shownText(page!).filter((s) => s.x >= LEFT) // drop the frame's marking
    const right = (font: PdfFont, s: string) => Number(num(rightEdge - new FontMetrics(font, 8).width(s)))
    expect(text.map(({ x, y, tj: t }) => ({ x, y, tj: t }))).toEqual([
      { x: LEFT + PAD, y: baseline(r, bold, 8, TOP), tj: tj(bold, 8, 'Name') },
      { x: right(bold, 'Count'), y: baseline(r, bold, 8, TOP), tj: tj(bold, 8, 'Count') },
      { x: LEFT + PAD, y: baseline(r, regular, 8, TOP + headerH), tj: tj(regular, 8, 'Alpha') },
      { x: right(regular, '12'), y: baseline(r, regular, 8, TOP + headerH), tj: tj(regular, 8, '12') },
      { x: LEFT + PAD, y: baseline(r, regular, 8, TOP + headerH + rowH), tj: tj(regular, 8, 'Beta') },
      { x: right(regular, '3'), y: baseline(r, regular, 8, TOP + headerH + rowH), tj: tj(regular, 8, '3') },
    ])
    // the second body row is striped, the first is not
    expect(fills(page!, STRIPE_RGB)).toEqual([{ x: LEFT, y: TOP + headerH + rowH, w: WIDTH, h: rowH }])
    const ruleYs = [TOP + headerH, TOP + headerH + rowH, TOP + headerH + 2 * rowH].map((y) => Number(num(y)))
    expect(rules(page!)).toEqual(ruleYs.map((y) => ({ y, x0: LEFT, x1: LEFT + WIDTH })))
  })

  it('wraps prose at spaces, one Tm per line, and draws a token too wide for its column smaller on one line', async () => {
    const prose = 'the purpose of this sharing is direct care of the patient'
    const token = 'P-8XK2-Q7MA-ZR4N-LONG-REFERENCE'
    const columns: Column[] = [
      { header: 'Purpose', width: 1 },
      { header: 'Ref', width: 1, token: true },
      { header: 'Pad', width: 4 },
    ]
    const r = await render((doc) => drawTable(doc, columns, [[prose, token, '']]))
    const [page] = r.pages
    const regular = r.fonts[FONTS.regular]
    const mono = r.fonts[FONTS.mono]
    const headerH = r.fonts[FONTS.bold].lineHeight(8, true) + 2 * PAD
    const colW = WIDTH / 6
    const shown = shownText(page!).filter((s) => s.x >= LEFT && s.y < baseline(r, regular, 8, TOP) - 1)

    const proseLines = shown.filter((s) => s.x === LEFT + PAD)
    expect(proseLines.length).toBeGreaterThan(2)
    const metrics = new FontMetrics(regular, 8)
    // the lines put back together are the text; none is wider than the cell; each starts a line lower
    const words = prose.split(' ')
    let w = 0
    const expected: string[] = []
    for (const [i, s] of proseLines.entries()) {
      let line = words[w++]!
      while (w < words.length && metrics.width(`${line} ${words[w]}`) <= colW - 2 * PAD) line += ` ${words[w++]}`
      expected.push(line)
      expect(s.tj).toBe(tj(regular, 8, line))
      expect(s.y).toBe(baseline(r, regular, 8, TOP + headerH, i))
      expect(metrics.width(line)).toBeLessThanOrEqual(colW - 2 * PAD)
    }
    expect(expected.join(' ')).toBe(prose)

    // the token: whole, monospaced, in the size that makes it fit its column
    const tokenShown = shown.filter((s) => s.x === Number(num(LEFT + colW + PAD)))
    expect(tokenShown).toHaveLength(1)
    const size = tokenShown[0]!.size
    expect(size).toBeLessThan(8)
    expect(tokenShown[0]!.tj).toBe(tj(mono, size, token))
    expect(new FontMetrics(mono, size).width(token)).toBeLessThanOrEqual(colW - 2 * PAD)
    // the row is as tall as its longest cell: the rule sits under the last prose line
    const rowH = proseLines.length * regular.lineHeight(8, true) + 2 * PAD
    expect(rules(page!).at(-1)!.y).toBe(Number(num(TOP + headerH + rowH)))
  })

  it('breaks the page before a row that would cross the frame, repeats the header, and digests each page in drawing order', async () => {
    const rows = Array.from({ length: 120 }, (_, i) => [`Row ${String(i).padStart(3, '0')}`, String(i)])
    const r = await render((doc) => {
      const t = new Table(doc, COLUMNS)
      for (const row of rows) t.addRow(row)
      t.end()
    })
    const bold = r.fonts[FONTS.bold]
    const regular = r.fonts[FONTS.regular]
    const headerH = bold.lineHeight(8, true) + 2 * PAD
    const rowH = regular.lineHeight(8, true) + 2 * PAD
    const perPage = Math.floor((r.bottom - TOP - headerH) / rowH)
    expect(r.pages).toHaveLength(Math.ceil(rows.length / perPage))

    let next = 0
    r.pages.forEach((page, p) => {
      // each page starts with the header at the top of the frame
      expect(fills(page, HEADER_RGB)).toEqual([{ x: LEFT, y: TOP, w: WIDTH, h: headerH }])
      const shown = shownText(page).filter((s) => s.x === LEFT + PAD)
      expect(shown[0]!.tj).toBe(tj(bold, 8, 'Name'))
      const body = shown.slice(1)
      const expected = rows.slice(next, next + perPage)
      expect(body.map((s) => s.tj)).toEqual(expected.map(([name]) => tj(regular, 8, name!)))
      next += body.length
      // no rule below the frame; a page that is not the last had no room for one more row
      const lastRule = Math.max(...rules(page).map((l) => l.y))
      expect(lastRule).toBeLessThanOrEqual(r.bottom)
      if (p < r.pages.length - 1) expect(lastRule + rowH).toBeGreaterThan(r.bottom)
      // the table's rows are written to the page in one chunk, after the frame
      expect(page.match(/\/PageNo Do/g)).toHaveLength(1)
      expect(page.indexOf('/PageNo Do')).toBeLessThan(page.indexOf(HEADER_RGB))

      // the page's text digest holds the rows the table flushed, in order, after the frame's marking
      const text = [MARKING, MARKING, 'Name', 'Count', ...expected.flat()].join('')
      expect(r.digests[p]).toBe(crypto.createHash('sha256').update(normalisePageText(text)).digest('hex'))
    })
    expect(next).toBe(rows.length)
  })

  it('draws the empty text across the whole width through pdfkit, after the header', async () => {
    const r = await render((doc) => drawTable(doc, COLUMNS, [], { emptyText: 'None recorded.' }))
    const [page] = r.pages
    const oblique = r.fonts[FONTS.oblique]
    const headerAt = page!.indexOf(HEADER_RGB)
    const headerH = r.fonts[FONTS.bold].lineHeight(8, true) + 2 * PAD
    // pdfkit's own text: a Tm at the cell's padding, one row below the header, in the oblique font
    const tm = `1 0 0 1 ${LEFT + PAD} ${num(r.pageHeight - (TOP + headerH + PAD) - (oblique.ascender / 1000) * 8)} Tm`
    expect(page!.indexOf(tm)).toBeGreaterThan(headerAt)
    expect(page!.slice(page!.indexOf(tm)).split('\n')[1]).toBe(`/${oblique.id} 8 Tf`)
    expect(r.digests[0]).toBe(
      crypto
        .createHash('sha256')
        .update(normalisePageText(`${MARKING}${MARKING}NameCountNone recorded.`))
        .digest('hex'),
    )
  })
})
