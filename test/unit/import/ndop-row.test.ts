import { describe, expect, it } from 'vitest'
import { parseNdopRow } from '../../../jobs/import-ndop.js'

const GOOD = {
  ACH_DATE: '01/03/2026',
  GP_PRACTICE: 'A81001',
  PRACTICE_NAME: 'THE DENSHAM SURGERY',
  ICB_CODE: 'QHM',
  ICB_NAME: 'NHS NORTH EAST AND NORTH CUMBRIA INTEGRATED CARE BOARD',
  OPT_OUT: '210',
  LIST_SIZE: '4245',
}
const row = (changes: Partial<typeof GOOD> = {}, line = 7) => ({ line, values: { ...GOOD, ...changes } })

function reasonOf(changes: Partial<typeof GOOD>) {
  const outcome = parseNdopRow(row(changes))
  if (outcome.kind !== 'quarantine') throw new Error(`expected a quarantine, got ${outcome.kind}`)
  return outcome.reason
}

describe('parseNdopRow', () => {
  it('maps a practice row, keyed by practice and date', () => {
    expect(parseNdopRow(row({ GP_PRACTICE: 'a81001', OPT_OUT: '1,045', LIST_SIZE: '12,345' }))).toEqual({
      kind: 'load',
      key: 'A81001:2026-03-01',
      label: 'GP_PRACTICE A81001 with ACH_DATE 01/03/2026',
      record: {
        odsCode: 'A81001',
        practiceName: 'THE DENSHAM SURGERY',
        icbCode: 'QHM',
        icbName: 'NHS NORTH EAST AND NORTH CUMBRIA INTEGRATED CARE BOARD',
        asOf: '2026-03-01',
        optOuts: 1045,
        listSize: 12345,
      },
    })
  })

  it('passes over Unallocated rows and rows with no list size, which have no rate', () => {
    expect(parseNdopRow(row({ GP_PRACTICE: 'UNALLOCATED', PRACTICE_NAME: 'Unallocated', OPT_OUT: '3561', LIST_SIZE: '0' }))).toEqual({
      kind: 'skip',
    })
    expect(parseNdopRow(row({ GP_PRACTICE: '', PRACTICE_NAME: 'UNALLOCATED', OPT_OUT: '', LIST_SIZE: '' }))).toEqual({ kind: 'skip' })
    expect(parseNdopRow(row({ OPT_OUT: '0', LIST_SIZE: '0' }))).toEqual({ kind: 'skip' })
  })

  it('names the column and the value of each problem', () => {
    expect(reasonOf({ OPT_OUT: 'abc' })).toBe("row 7: OPT_OUT 'abc' is not a whole number")
    expect(reasonOf({ LIST_SIZE: '-5' })).toBe("row 7: LIST_SIZE '-5' is negative")
    expect(reasonOf({ LIST_SIZE: '' })).toBe('row 7: LIST_SIZE is empty')
    expect(reasonOf({ OPT_OUT: '12.5' })).toBe("row 7: OPT_OUT '12.5' is not a whole number")
    expect(reasonOf({ OPT_OUT: '5000' })).toBe('row 7: OPT_OUT 5000 is greater than LIST_SIZE 4245')
    expect(reasonOf({ OPT_OUT: '5', LIST_SIZE: '0' })).toBe('row 7: OPT_OUT 5 is greater than LIST_SIZE 0')
    expect(reasonOf({ ACH_DATE: '2026-03-01' })).toBe("row 7: ACH_DATE '2026-03-01' is not a date in the form dd/mm/yyyy")
    expect(reasonOf({ GP_PRACTICE: 'A8100' })).toBe(
      "row 7: GP_PRACTICE 'A8100' is not a GP practice code (one letter and five digits, such as A81001)",
    )
    expect(reasonOf({ GP_PRACTICE: 'A8100', OPT_OUT: 'x' })).toBe(
      "row 7: GP_PRACTICE 'A8100' is not a GP practice code (one letter and five digits, such as A81001); OPT_OUT 'x' is not a whole number",
    )
  })

  it('keys a bad row like its future correction when it can, and by line and content when it cannot', () => {
    const keyOf = (outcome: ReturnType<typeof parseNdopRow>) => (outcome.kind === 'quarantine' ? outcome.key : null)
    expect(keyOf(parseNdopRow(row({ OPT_OUT: 'abc' })))).toBe('A81001:2026-03-01')
    expect(keyOf(parseNdopRow(row({ GP_PRACTICE: 'A8100' }, 7)))).toMatch(/^line:7:[0-9a-f]{64}$/)
    expect(keyOf(parseNdopRow(row({ GP_PRACTICE: 'A8100' }, 8)))).toMatch(/^line:8:/)
  })
})
