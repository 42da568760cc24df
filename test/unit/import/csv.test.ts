import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { CsvFileError, parseUkDate, readCsvRows, type CsvColumns } from '../../../jobs/csv.js'

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/csv')
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-csv-'))
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }))

function write(name: string, content: string | Buffer): string {
  const file = path.join(tmp, name)
  fs.writeFileSync(file, content)
  return file
}

async function readAll<C extends string>(file: string, columns: CsvColumns<C>) {
  const rows = []
  for await (const row of readCsvRows(file, columns)) rows.push(row)
  return rows
}

const NDOP_SUBSET = { required: ['GP_PRACTICE', 'PRACTICE_NAME', 'ICB_NAME', 'OPT_OUT', 'LIST_SIZE'] } as const

describe('readCsvRows', () => {
  it('reads a BOM, CRLF, quoted commas and doubled quotes, in any column order, dropping extra columns', async () => {
    const rows = await readAll(path.join(FIXTURES, 'ndop-bom-crlf-quoted.csv'), NDOP_SUBSET)
    expect(rows).toEqual([
      {
        line: 2,
        values: {
          GP_PRACTICE: 'C82001',
          PRACTICE_NAME: 'SMITH, JONES & PARTNERS',
          ICB_NAME: 'NHS LEICESTER, LEICESTERSHIRE AND RUTLAND ICB',
          OPT_OUT: '1,045',
          LIST_SIZE: '12,345',
        },
      },
      {
        line: 3,
        values: {
          GP_PRACTICE: 'C82002',
          PRACTICE_NAME: 'THE "OLD" SURGERY',
          ICB_NAME: 'NHS LEICESTER, LEICESTERSHIRE AND RUTLAND ICB',
          OPT_OUT: '77',
          LIST_SIZE: '6120',
        },
      },
    ])
  })

  it('matches headings whatever their case and spacing, trims cells, fills missing optional columns and skips blank rows', async () => {
    const file = write('headings.csv', ' Disclosed At ,NHS-Number\n 2026-01-02 , 999 000 0018 \n,\n\n2026-01-03\n')
    const rows = await readAll(file, { required: ['disclosed_at', 'nhs_number'], optional: ['notes_we_want'] })
    expect(rows).toEqual([
      { line: 2, values: { disclosed_at: '2026-01-02', nhs_number: '999 000 0018', notes_we_want: '' } },
      { line: 5, values: { disclosed_at: '2026-01-03', nhs_number: '', notes_we_want: '' } },
    ])
  })

  it('keeps reading after a stray quote inside a cell (the cell keeps the quote as text)', async () => {
    const file = write('stray-quote.csv', 'A,B\n1,"bad"quote\n2,ok\n3,ok\n')
    const rows = await readAll(file, { required: ['A', 'B'] })
    expect(rows.map((r) => r.values)).toEqual([
      { A: '1', B: '"bad"quote' },
      { A: '2', B: 'ok' },
      { A: '3', B: 'ok' },
    ])
  })

  it('names every missing column and what the header holds instead', async () => {
    await expect(
      readAll(path.join(FIXTURES, 'ndop-wrong-header.csv'), {
        required: ['GP_PRACTICE', 'OPT_OUT', 'ACH_DATE', 'ICB_NAME', 'COMM_REGION_NAME'],
      }),
    ).rejects.toThrow(
      'The header row of ndop-wrong-header.csv lacks the required columns OPT_OUT, COMM_REGION_NAME (it has: ACH_DATE, GP_PRACTICE, POSTCODE, PRACTICE_NAME, ICB_CODE, ICB_NAME, OPTOUTS, LIST_SIZE).',
    )
  })

  it('refuses a missing file, an empty file and a folder with one sentence each', async () => {
    const columns = { required: ['A'] }
    await expect(readAll(path.join(tmp, 'nowhere.csv'), columns)).rejects.toThrow(
      new CsvFileError(`The file nowhere.csv does not exist (looked for ${path.join(tmp, 'nowhere.csv')}).`),
    )
    await expect(readAll(write('empty.csv', ''), columns)).rejects.toThrow('The file empty.csv is empty: it has no header row.')
    await expect(readAll(write('blank-lines.csv', '\n\n\n'), columns)).rejects.toThrow(
      'The file blank-lines.csv is empty: it has no header row.',
    )
    await expect(readAll(tmp, columns)).rejects.toThrow(`${tmp} is not a file.`)
  })

  it('reads a header-only file as no rows', async () => {
    expect(await readAll(write('header-only.csv', 'A,B\r\n'), { required: ['A'] })).toEqual([])
  })

  it('gives up on a quote that is never closed, naming the row where it starts', async () => {
    const file = write('unclosed.csv', 'A,B\n1,ok\n2,"never closed\n3,ok\n')
    const seen: string[] = []
    await expect(
      (async () => {
        for await (const row of readCsvRows(file, { required: ['A', 'B'] })) seen.push(row.values.A)
      })(),
    ).rejects.toThrow('unclosed.csv cannot be read from row 3 on: a quoted cell is never closed.')
    expect(seen).toEqual(['1'])
  })
})

describe('parseUkDate', () => {
  it('turns dd/mm/yyyy into an ISO date and refuses what is not a calendar day', () => {
    expect(parseUkDate('01/03/2026')).toBe('2026-03-01')
    expect(parseUkDate('1/3/2026')).toBe('2026-03-01')
    expect(parseUkDate('29/02/2024')).toBe('2024-02-29')
    expect(parseUkDate('29/02/2026')).toBeNull()
    expect(parseUkDate('31/04/2026')).toBeNull()
    expect(parseUkDate('2026-03-01')).toBeNull()
    expect(parseUkDate('03/01/26')).toBeNull()
  })
})
