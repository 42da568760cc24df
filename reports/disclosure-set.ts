import { solve, type Coefficients, type Constraint, type Model } from 'yalps'
import { controlledCount, SUPPRESSION_MAX } from './disclosure-control.js'

// Disclosure control over a SET of published tables (docs/decisions/021-disclosure-control-sets.md).
//
// Every published figure is a sum of non-negative "atoms" (counts nobody publishes, e.g. one
// practice's disclosures for one purpose in one quarter); some atoms are tied by equalities (a
// practice-quarter's purposes and its recipient types add up to the same total). A figure is
// known by its key: the same key printed in two tables or two reports is ONE decision, so a
// figure is published everywhere or suppressed everywhere.
//
// The reader is modelled as an attacker with an integer program: a published v means the true
// count is in [v-2, v+2] (0 is exact), a small count shown as "*" is in [1, 7] (the attacker is
// assumed to know which stars hide small counts), any other "*" is at least 1. After primary
// suppression (1..7), each small count's feasible interval is computed (LP, then integer
// programme); while one is narrower than what the stars alone already say, one more published
// figure in a table with it (the smallest) is suppressed. Suppressing only widens intervals, so
// cells once safe stay safe and the loop ends (at worst with every non-zero figure suppressed,
// which is the "stars alone" interval by definition). Pure: no I/O.

export const BAND: readonly [number, number] = [1, SUPPRESSION_MAX]

export interface ControlFigure {
  key: string
  /** The true count. */
  raw: number
  /** The atoms it is the sum of. */
  terms: string[]
}

/** A printed total and the printed parts it adds up to (used to choose complements). */
export interface ControlTableSpec {
  total: string
  parts: string[]
}

export interface ControlProblem {
  figures: ControlFigure[]
  /** The true value of every atom (figures' raw counts are sums of these). */
  atoms: Map<string, number>
  /** Equalities between sums of atoms: sum(a) = sum(b). */
  links: Array<[string[], string[]]>
  tables: ControlTableSpec[]
  /** Decisions already taken elsewhere (published value or null), which this run may not change. */
  fixed?: Map<string, number | null>
}

/** Published value (0, or rounded to 5) or null for "*". */
export type Decision = number | null

export interface ControlOutcome {
  published: Map<string, Decision>
  primary: Set<string>
  complementary: Set<string>
  /** Small counts still narrowed (only possible when `fixed` figures leave no choice). */
  unresolved: string[]
  solves: number
  ms: number
}

const EPS = 1e-6

/** The attacker's bound for one figure given its decision. */
function bound(raw: number, d: Decision): Constraint {
  if (d === 0) return { equal: 0 }
  if (d !== null) return { min: d - 2, max: d + 2 }
  return raw <= SUPPRESSION_MAX ? { min: BAND[0], max: BAND[1] } : { min: BAND[0] }
}

/**
 * The attacker's programme over one problem. Atoms of figures whose true count is 0 are 0 for
 * everyone (0 is always printed), so they are dropped. Each remaining atom is written as its
 * true value plus an increase minus a decrease (a = t + up - down, down <= t): the true counts
 * are a feasible point, so the simplex starts feasible and skips its first phase, which made
 * each solve 10-20 times faster. The feasible set is the same.
 */
export class Attack {
  private columns = new Map<string, Array<[string, number]>>()
  private figures = new Map<string, ControlFigure>()
  private truth = new Map<string, number>()
  private linkCount = 0
  private caps: Array<[string, number]> = []
  solves = 0
  ms = 0

  constructor(problem: Pick<ControlProblem, 'figures' | 'links' | 'atoms'>) {
    const zero = new Set(problem.figures.filter((f) => f.raw === 0).flatMap((f) => f.terms))
    const col = (name: string) => {
      let r = this.columns.get(name)
      if (!r) this.columns.set(name, (r = []))
      return r
    }
    const put = (atom: string, row: string, coef: number) => {
      col(`+${atom}`).push([row, coef])
      if ((problem.atoms.get(atom) ?? 0) > 0) col(`-${atom}`).push([row, -coef])
    }
    for (const f of problem.figures) {
      if (f.raw === 0) continue
      const sum = f.terms.reduce((a, t) => a + (problem.atoms.get(t) ?? 0), 0)
      if (sum !== f.raw) throw new Error(`figure ${f.key} is ${f.raw} but its atoms add up to ${sum}`)
      this.figures.set(f.key, f)
      for (const a of f.terms) if (!zero.has(a)) put(a, `f:${f.key}`, 1)
    }
    problem.links.forEach(([a, b]) => {
      const as = a.filter((x) => !zero.has(x))
      const bs = b.filter((x) => !zero.has(x))
      if (as.length + bs.length === 0) return
      const name = `l:${this.linkCount++}`
      for (const x of as) put(x, name, 1)
      for (const x of bs) put(x, name, -1)
    })
    for (const [atom, t] of problem.atoms) {
      if (t <= 0 || zero.has(atom) || !this.columns.has(`-${atom}`)) continue
      this.truth.set(atom, t)
      this.columns.get(`-${atom}`)!.push([`c:${atom}`, 1]) // a >= 0
      this.caps.push([`c:${atom}`, t])
    }
  }

  /** The attacker's bounds for the decisions, shifted by the true counts. */
  constraintsFor(published: Map<string, Decision>): Map<string, Constraint> {
    const c = new Map<string, Constraint>()
    for (const [key, f] of this.figures) {
      const b = bound(f.raw, published.get(key) ?? null)
      c.set(
        `f:${key}`,
        b.equal !== undefined
          ? { equal: b.equal - f.raw }
          : { min: b.min! - f.raw, ...(b.max !== undefined ? { max: b.max - f.raw } : {}) },
      )
    }
    for (let i = 0; i < this.linkCount; i++) c.set(`l:${i}`, { equal: 0 })
    for (const [name, t] of this.caps) c.set(name, { max: t })
    return c
  }

  private run(model: Model): ReturnType<typeof solve> {
    this.solves++
    const t0 = performance.now()
    const s = solve(model, model.integers ? { maxIterations: 500_000 } : {})
    this.ms += performance.now() - t0
    return s
  }

  private variables(target: string): Map<string, Coefficients> {
    const t = new Set(this.figures.get(target)!.terms)
    const variables = new Map<string, Coefficients>()
    for (const [name, rows] of this.columns) {
      const atom = name.slice(1)
      variables.set(name, t.has(atom) ? [...rows, ['obj', name[0] === '+' ? 1 : -1]] : rows)
    }
    return variables
  }

  /** Least and greatest value of a figure: of the LP (integer=false, rounded inwards) or the integer programme; null when infeasible. */
  interval(
    published: Map<string, Decision>,
    key: string,
    integer: boolean,
    constraints = this.constraintsFor(published),
  ): [number, number] | null {
    const variables = this.variables(key)
    const base = this.figures.get(key)!.raw
    const out: number[] = []
    for (const direction of ['minimize', 'maximize'] as const) {
      const s = this.run({ direction, objective: 'obj', constraints, variables, integers: integer })
      if (s.status === 'unbounded') out.push(Infinity)
      else if (s.status === 'optimal') out.push(base + s.result)
      else return null
    }
    return [Math.ceil(out[0]! - EPS), Math.floor(out[1]! + EPS)]
  }

  /** The published figures at a bound in the LP optimum pushing `key` towards `value` (the ones in the way). */
  binding(published: Map<string, Decision>, key: string, value: number): string[] {
    const s = this.run({
      direction: value <= BAND[0] ? 'minimize' : 'maximize',
      objective: 'obj',
      constraints: this.constraintsFor(published),
      variables: this.variables(key),
    })
    if (s.status !== 'optimal') return []
    const delta = new Map<string, number>()
    for (const [name, v] of s.variables as Array<[string, number]>)
      delta.set(name.slice(1), (delta.get(name.slice(1)) ?? 0) + (name[0] === '+' ? v : -v))
    const out: string[] = []
    for (const [k, f] of this.figures) {
      const d = published.get(k)
      if (d === null || d === undefined || d === 0 || k === key) continue
      const v = f.raw + f.terms.reduce((a, t) => a + (delta.get(t) ?? 0), 0)
      if (v <= d - 2 + EPS || v >= d + 2 - EPS) out.push(k)
    }
    return out
  }
}

/** Primary suppression and rounding alone, for every figure (fixed ones as given). */
function primaryDecisions(problem: ControlProblem): Map<string, Decision> {
  const out = new Map<string, Decision>()
  for (const f of problem.figures) out.set(f.key, problem.fixed?.has(f.key) ? problem.fixed.get(f.key)! : controlledCount(f.raw))
  return out
}

/**
 * Decides which figures to publish: primary suppression, then complementary suppression until
 * no small count can be narrowed by the published figures (see the module comment).
 */
export function controlSet(problem: ControlProblem): ControlOutcome {
  const started = performance.now()
  const attack = new Attack(problem)
  const byKey = new Map(problem.figures.map((f) => [f.key, f]))
  const published = primaryDecisions(problem)
  const primary = new Set(problem.figures.filter((f) => f.raw >= 1 && f.raw <= SUPPRESSION_MAX).map((f) => f.key))
  const complementary = new Set<string>()
  const tablesOf = new Map<string, ControlTableSpec[]>()
  for (const t of problem.tables) for (const k of [t.total, ...t.parts]) (tablesOf.get(k) ?? tablesOf.set(k, []).get(k)!).push(t)

  // What the stars alone say about a small count (every non-zero figure hidden): computed only
  // for a count that cannot reach both ends of the band.
  const starsOnly = new Map<string, Decision>(problem.figures.map((f) => [f.key, f.raw === 0 ? 0 : null]))
  const structural = new Map<string, [number, number]>()
  const structuralOf = (key: string): [number, number] => {
    let s = structural.get(key)
    if (!s) structural.set(key, (s = attack.interval(starsOnly, key, true) ?? [BAND[0], BAND[1]]))
    return s
  }
  /** The end of the band (or of what the stars alone allow) the published figures keep it from reaching, or undefined. */
  const exposedAt = (key: string): number | undefined => {
    const iv = attack.interval(published, key, true)
    if (!iv || (iv[0] <= BAND[0] && iv[1] >= BAND[1])) return undefined
    const s = structuralOf(key)
    if (iv[0] > s[0]) return s[0]
    if (iv[1] < s[1]) return s[1]
    return undefined
  }

  /** The next figure to hide for an exposed one: the smallest published figure in a table with it, widening outwards. */
  const complementFor = (key: string, towards: number): string | undefined => {
    // First choice: the smallest figure that binds in the LP optimum towards the unreachable end.
    const binding = attack
      .binding(published, key, towards)
      .filter((k) => !problem.fixed?.has(k))
      .map((k) => byKey.get(k)!)
      .sort((a, b) => a.raw - b.raw || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    if (binding.length > 0) return binding[0]!.key
    const seen = new Set([key])
    let frontier = [key]
    while (frontier.length > 0) {
      const candidates: ControlFigure[] = []
      const next: string[] = []
      for (const k of frontier) {
        for (const t of tablesOf.get(k) ?? []) {
          for (const o of [t.total, ...t.parts]) {
            if (seen.has(o)) continue
            seen.add(o)
            const d = published.get(o)
            if (d === null) next.push(o)
            else if (d !== 0 && !problem.fixed?.has(o)) candidates.push(byKey.get(o)!)
          }
        }
      }
      candidates.sort((a, b) => a.raw - b.raw || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      if (candidates.length > 0) return candidates[0]!.key
      frontier = next
    }
    // No table route left: any published figure sharing an atom with it.
    const mine = new Set(byKey.get(key)!.terms)
    const sharing = problem.figures
      .filter(
        (f) =>
          published.get(f.key) !== null && published.get(f.key) !== 0 && !problem.fixed?.has(f.key) && f.terms.some((a) => mine.has(a)),
      )
      .sort((a, b) => a.raw - b.raw || (a.key < b.key ? -1 : 1))
    return sharing[0]?.key
  }

  const unresolved: string[] = []
  const order = [...primary].sort()
  for (const key of order) {
    for (let end = exposedAt(key); end !== undefined; end = exposedAt(key)) {
      const c = complementFor(key, end)
      if (c === undefined) {
        unresolved.push(key)
        break
      }
      published.set(c, null)
      complementary.add(c)
    }
  }
  return { published, primary, complementary, unresolved, solves: attack.solves, ms: performance.now() - started }
}
