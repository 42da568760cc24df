import { ensureSpace, FONTS, frame, type Doc } from './document.js'
import { heading } from './heading.js'
import { deferText, type DeferredText } from './page-text.js'
import { currentFont, num, showText, writeContent, type PdfFont } from './raw.js'

// A contents page in a one-pass document: the titles are drawn at once, each page number is a
// form XObject written when the document ends (as "Page X of Y" is), and each section adds a
// PDF bookmark (outline entry) when its heading is drawn. The numbers are page text: they are
// deferred in the page's text digest until then (reports/pdf/page-text.ts).

interface Entry {
  title: string
  level: 1 | 2
  page: number | null
  ref: { write(chunk: string): void; end(): void }
  deferred: DeferredText
  right: number
  baseline: number
}

const SIZE = 10

export class Contents {
  private readonly entries = new Map<string, Entry>()
  private font: PdfFont | null = null
  private readonly outlineParents = new Map<string, unknown>()

  constructor(private readonly doc: Doc) {}

  /** Draws the list; titles of level 2 are indented under the level-1 title before them. */
  draw(titles: Array<{ title: string; level?: 1 | 2 }>): void {
    const doc = this.doc
    heading(doc, 'Contents')
    doc.font(FONTS.regular).fontSize(SIZE)
    const font = (this.font = currentFont(doc))
    const f = frame(doc)
    titles.forEach(({ title, level = 1 }, i) => {
      ensureSpace(doc, 16)
      const y = doc.y
      const indent = level === 2 ? 16 : 0
      doc.text(title, f.left + indent, y, { width: f.width - 60 - indent })
      const name = `Toc${i}`
      const ref = (doc as unknown as { ref(data: object): Entry['ref'] }).ref({
        Type: 'XObject',
        Subtype: 'Form',
        BBox: [0, 0, doc.page.width, doc.page.height],
        Resources: { Font: { [font.id]: font.ref() } },
      })
      ;(doc.page as unknown as { xobjects: Record<string, unknown> }).xobjects[name] = ref
      const deferred = deferText(doc)
      writeContent(doc, `q\n1 0 0 -1 0 ${num(doc.page.height)} cm\n/${name} Do\nQ`)
      const baseline = doc.page.height - y - (font.ascender / 1000) * SIZE // y up
      this.entries.set(title, { title, level, page: null, ref, deferred, right: f.right, baseline })
      doc.y = Math.max(doc.y, y + 14)
    })
    doc.moveDown(0.5)
  }

  /** The section `title` starts on this page: its number in the contents, and a bookmark. */
  mark(title: string): void {
    const entry = this.entries.get(title)
    if (!entry) throw new Error(`"${title}" is not in the contents`)
    entry.page ??= this.doc.pageNumber
    const outline = (this.doc as unknown as { outline: { addItem(title: string): unknown } }).outline
    if (entry.level === 1) this.outlineParents.set('current', outline.addItem(title))
    else ((this.outlineParents.get('current') ?? outline) as typeof outline).addItem(title)
  }

  /** Writes every page number; call once every page is drawn (a section never drawn reads "none"). */
  finish(): void {
    const font = this.font
    if (!font) return
    for (const e of this.entries.values()) {
      const text = e.page === null ? 'none' : String(e.page)
      const x = e.right - font.widthOfString(text, SIZE)
      e.ref.write(`BT\n0 0 0 rg\n1 0 0 1 ${num(x)} ${num(e.baseline)} Tm\n/${font.id} ${SIZE} Tf\n${showText(font, text)}\nET`)
      e.ref.end()
      e.deferred.text = text
    }
  }
}
