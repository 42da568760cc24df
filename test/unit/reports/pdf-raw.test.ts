import { describe, expect, it } from 'vitest'
import { createDocument, endDocument, FONTS } from '../../../reports/pdf/document.js'
import { currentFont, FontMetrics } from '../../../reports/pdf/raw.js'

// The table draws rows with its own cached metrics (reports/pdf/raw.ts); they must give the
// widths pdfkit itself computes for the same glyphs (kerned, without ligatures), or
// right-aligned figures and wrapping would drift from what the text really occupies.

const SAMPLES = [
  '',
  'A',
  'AV',
  'Royal Hospital NHS Trust',
  'WAVE Ty To Yo',
  '2026-03-10 14:25',
  '1234567',
  'P-8XK2-Q7MA-ZR4N',
  'Caf\u00e9 \u2013 \u00a3100',
  'safeguarding_duty',
  'Ysbyty Gwynedd – Tŵr Łódź',
  '→ ✓',
]

describe('FontMetrics', () => {
  for (const font of Object.values(FONTS)) {
    it(`matches pdfkit's widths in ${font}, one glyph per character`, () => {
      const doc = createDocument({ title: 't', creationDate: new Date(0) })
      doc.font(font).fontSize(7)
      const f = currentFont(doc) as ReturnType<typeof currentFont> & { widthOfString(s: string, size: number, features?: object): number }
      const m = new FontMetrics(f, 7)
      for (const s of SAMPLES) expect(m.width(s)).toBeCloseTo(f.widthOfString(s, 7, { liga: false, clig: false }), 6)
      // glyph ids, two bytes each in a literal string, one per character: "fi" stays two glyphs (no ligature)
      const literal = (tj: string) =>
        /^\[\((.*)\) 0\] TJ$/s
          .exec(tj)![1]!
          .replace(/\\([()\\])/g, '$1')
          .replace(/\\r/g, '\r')
          .replace(/\\n/g, '\n')
      expect(literal(m.showText('fi'))).toHaveLength(4)
      expect(literal(m.showText('→ ✓'))).toHaveLength(6)
      if (font !== FONTS.mono) {
        // kerning is really applied: "AV" is narrower than "A" + "V"
        expect(m.width('AV')).toBeLessThan(m.width('A') + m.width('V'))
        expect(m.showText('AV')).toMatch(/^\[\(.{2,4}\) [\d.]+ \(.{2,4}\) 0\] TJ$/s)
      }
      endDocument(doc)
    })
  }
})
