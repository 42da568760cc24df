import { createElement } from 'react'
import { renderToStaticMarkup } from 'react-dom/server'
import { describe, expect, it } from 'vitest'
import { DataTable, type DataTableProps } from '../../../app/components/data-table.js'

// The markup the stylesheet, scroll-regions.tsx and the accessibility tests rely on.
type Row = { code: string; name: string; count: number }
const rows: Row[] = [
  { code: 'A81001', name: 'Riverside', count: 1200 },
  { code: 'A81002', name: 'Hillside', count: 7 },
]
const render = (props: Partial<DataTableProps<Row>>) =>
  renderToStaticMarkup(
    createElement(DataTable<Row>, {
      caption: 'Practices',
      rows,
      rowKey: (r) => r.code,
      columns: [
        { header: 'Practice', rowHeader: true, cell: (r) => r.name },
        { header: 'ODS code', cell: (r) => r.code },
        { header: 'Disclosures', numeric: true, cell: (r) => r.count.toLocaleString('en-GB') },
      ],
      ...props,
    }),
  )

describe('DataTable', () => {
  it('draws a captioned table in its scroll box: column headers, a row header per row, numeric cells', () => {
    expect(render({})).toBe(
      '<div class="table-scroll"><table><caption>Practices</caption><thead><tr>' +
        '<th scope="col">Practice</th><th scope="col">ODS code</th><th scope="col" class="numeric">Disclosures</th></tr></thead><tbody>' +
        '<tr><th scope="row">Riverside</th><td>A81001</td><td class="numeric">1,200</td></tr>' +
        '<tr><th scope="row">Hillside</th><td>A81002</td><td class="numeric">7</td></tr></tbody></table></div>',
    )
  })

  it('shows the empty message instead of a table with no rows', () => {
    expect(render({ rows: [], empty: createElement('p', null, 'No practices.') })).toBe('<p>No practices.</p>')
  })

  it('leaves out falsy columns, keeps row attributes and class names, and draws a footer', () => {
    const html = render({
      scroll: false,
      className: 'runs-table',
      rowProps: (r) => ({ 'data-testid': `practice-${r.code}` }),
      columns: [
        { header: 'Practice', rowHeader: true, cell: (r) => r.name },
        false,
        { header: 'Disclosures', numeric: true, className: 'group-start', cell: (r) => r.count },
      ],
      footer: createElement(
        'tr',
        null,
        createElement('th', { scope: 'row' }, 'Total'),
        createElement('td', { className: 'numeric' }, 1207),
      ),
    })
    expect(html.startsWith('<table class="runs-table"><caption>')).toBe(true)
    expect(html).toContain('<th scope="col" class="numeric group-start">Disclosures</th>')
    expect(html).toContain('<tr data-testid="practice-A81001"><th scope="row">Riverside</th><td class="numeric group-start">1200</td></tr>')
    expect(html).toContain('<tfoot><tr><th scope="row">Total</th><td class="numeric">1207</td></tr></tfoot>')
    expect(html).not.toContain('ODS code')
  })
})
