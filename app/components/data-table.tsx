import type { HTMLAttributes, Key, ReactNode, TdHTMLAttributes, ThHTMLAttributes } from 'react'

// The pages' tables share one shape: a caption that names the table (screen readers announce it,
// and scroll-regions.tsx names a scrolling box after it), column headers with scope="col", one
// row-header cell per row with scope="row", and right-aligned tabular figures ("numeric").
// Written once here so a new table cannot forget one of them.

type RowAttributes = HTMLAttributes<HTMLTableRowElement> & { [data: `data-${string}`]: string | number | undefined }

export interface Column<Row> {
  header: ReactNode
  cell: (row: Row, index: number) => ReactNode
  /** A figure: right-aligned with tabular digits, header and cells alike. */
  numeric?: boolean
  /** The cell that names the row: a <th scope="row"> (one column per table). */
  rowHeader?: boolean
  /** Extra class on the column's header and cells (e.g. 'group-start'). */
  className?: string
  /** Extra class on the body cells only (e.g. 'break-anywhere'). */
  cellClassName?: string
  headerProps?: ThHTMLAttributes<HTMLTableCellElement>
  cellProps?: (row: Row) => TdHTMLAttributes<HTMLTableCellElement> & ThHTMLAttributes<HTMLTableCellElement>
}

/** A falsy entry leaves the column out, so a column shown only sometimes reads `cond && {...}`. */
export type Columns<Row> = ReadonlyArray<Column<Row> | false | null | undefined>

export interface DataTableProps<Row> {
  caption: ReactNode
  columns: Columns<Row>
  rows: readonly Row[]
  rowKey: (row: Row, index: number) => Key
  /** Attributes of a body row (className, data-testid...). */
  rowProps?: (row: Row) => RowAttributes
  className?: string
  /** Shown instead of the table when there are no rows; without it an empty table is drawn. */
  empty?: ReactNode
  /** Rows of a <tfoot> (totals). */
  footer?: ReactNode
  /** Header rows drawn by hand, for grouped headers (colSpan, rowSpan); replaces the generated row. */
  head?: ReactNode
  /** Drawn before <thead> (e.g. <colgroup>s). */
  colgroups?: ReactNode
  /** Wrap in the `.table-scroll` box that scrolls a wide table on its own (default true). */
  scroll?: boolean
}

const classes = (...names: Array<string | false | undefined>) => names.filter(Boolean).join(' ') || undefined

export function DataTable<Row>({
  caption,
  columns,
  rows,
  rowKey,
  rowProps,
  className,
  empty,
  footer,
  head,
  colgroups,
  scroll = true,
}: DataTableProps<Row>) {
  if (rows.length === 0 && empty !== undefined) return <>{empty}</>
  const shown = columns.filter((c): c is Column<Row> => Boolean(c))
  const table = (
    <table className={className}>
      <caption>{caption}</caption>
      {colgroups}
      <thead>
        {head ?? (
          <tr>
            {shown.map((c, i) => (
              <th key={i} scope="col" {...c.headerProps} className={classes(c.numeric && 'numeric', c.className, c.headerProps?.className)}>
                {c.header}
              </th>
            ))}
          </tr>
        )}
      </thead>
      <tbody>
        {rows.map((row, r) => (
          <tr key={rowKey(row, r)} {...rowProps?.(row)}>
            {shown.map((c, i) => {
              const props = c.cellProps?.(row)
              const className = classes(c.numeric && 'numeric', c.className, c.cellClassName, props?.className)
              return c.rowHeader ? (
                <th key={i} scope="row" {...props} className={className}>
                  {c.cell(row, r)}
                </th>
              ) : (
                <td key={i} {...props} className={className}>
                  {c.cell(row, r)}
                </td>
              )
            })}
          </tr>
        ))}
      </tbody>
      {footer && <tfoot>{footer}</tfoot>}
    </table>
  )
  return scroll ? <div className="table-scroll">{table}</div> : table
}
