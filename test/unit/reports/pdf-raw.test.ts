import { describe, expect, it } from 'vitest'
import { createDocument, endDocument } from '../../../reports/pdf/document.js'
import { currentFont, FontMetrics, showText } from '../../../reports/pdf/raw.js'

// The table draws rows with its own cached metrics (reports/pdf/raw.ts); they must give the
// widths and kerned glyph runs pdfkit itself computes, or right-aligned figures and wrapping
// would drift from what the text really occupies.

const SAMPLES = ['', 'A', 'AV', 'Royal Hospital NHS Trust', 'WAVE Ty To Yo', '2026-03-10 14:25', '1234567', 'P-8-5791', 'Caf\u00e9 \u2013 \u00a3100', 'safeguarding_duty']

describe('FontMetrics', () => {
  for (const font of ['Helvetica', 'Helvetica-Bold', 'Helvetica-Oblique']) {
    it(`matches pdfkit's widths and TJ operators in ${font}`, () => {
      const doc = createDocument({ title: 't', creationDate: new Date(0) })
      doc.font(font).fontSize(7)
      const f = currentFont(doc)
      const m = new FontMetrics(f, 7)
      for (const s of SAMPLES) {
        expect(m.width(s)).toBeCloseTo(f.widthOfString(s, 7), 9)
        if (s) expect(m.showText(s)).toBe(showText(f, s))
      }
      // kerning is really applied: "AV" is narrower than "A" + "V"
      expect(m.width('AV')).toBeLessThan(m.width('A') + m.width('V'))
      expect(m.showText('AV')).toMatch(/^\[<41> \d+ <56> 0\] TJ$/)
      endDocument(doc)
    })
  }
})
