/**
 * Seeded randomness for the simulator. Everything it generates is a pure function of its
 * options, so the same options give byte-identical data (tests and benchmarks rely on that).
 */

export type Random = () => number

/** mulberry32: tiny and fast; a 32-bit state is plenty for one stream of simulated records. */
function mulberry32(seed: number): Random {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** FNV-1a with a final avalanche, so labels that differ by one character give unrelated seeds. */
export function hashString(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/**
 * One independent stream per (seed, label): drawing more numbers in one part of the generator
 * (say, more events per day) leaves every other part (patients, planted violations) unchanged.
 */
export function randomStream(seed: number, label: string): Random {
  return mulberry32(hashString(`${seed}:${label}`))
}

/** A whole number from min to max inclusive. */
export function between(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1))
}

export function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!
}

/** A picker over weighted items: the cumulative table is built once, each pick is a short scan. */
export function weightedPicker<T>(items: readonly T[], weightOf: (item: T) => number): (random: Random) => T {
  const cumulative: number[] = []
  let total = 0
  for (const item of items) {
    total += weightOf(item)
    cumulative.push(total)
  }
  return (random) => {
    const target = random() * total
    for (let i = 0; i < cumulative.length; i++) if (target < cumulative[i]!) return items[i]!
    return items[items.length - 1]!
  }
}
