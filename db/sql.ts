/**
 * A small parameterised SQL builder for statements too set-based for knex's query builder (the
 * compliance rules, core/findings/). Every value comes in as a bound parameter; only Sql
 * fragments built from constants are spliced into the text.
 */

export class Sql {
  constructor(
    readonly text: string,
    readonly values: unknown[],
  ) {}
}

export type SqlValue = string | number | boolean | null

/** `sql\`... ${value} ...\``: a value becomes a `?` binding; an Sql fragment is spliced in with its bindings. */
export function sql(strings: TemplateStringsArray, ...parts: Array<Sql | SqlValue>): Sql {
  let text = strings[0]!
  const values: unknown[] = []
  parts.forEach((part, i) => {
    if (part instanceof Sql) {
      text += part.text
      values.push(...part.values)
    } else {
      text += '?'
      values.push(part)
    }
    text += strings[i + 1]!
  })
  return new Sql(text, values)
}

export function joinSql(parts: Sql[], separator: string): Sql {
  return new Sql(
    parts.map((p) => p.text).join(separator),
    parts.flatMap((p) => p.values),
  )
}

/** A PostgreSQL array literal of whole numbers, bound as one text parameter (works on pg and PGlite alike). */
export function intArray(ids: readonly number[]): string {
  for (const id of ids) if (!Number.isSafeInteger(id)) throw new TypeError(`not a whole number: ${id}`)
  return `{${ids.join(',')}}`
}
