// Disclosures for a prohibited purpose (marketing, insurance: purposes.prohibited) are the ones a
// Caldicott guardian must see first, so every table and chart that lists purposes or recipients
// puts them at the top, whatever their count.

/** Rows for which `isProhibited` holds first; otherwise the given order (sort is stable). */
export function prohibitedFirst<T>(rows: readonly T[], isProhibited: (row: T) => boolean): T[] {
  return [...rows].sort((a, b) => Number(isProhibited(b)) - Number(isProhibited(a)))
}
