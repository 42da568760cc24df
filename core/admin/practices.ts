import type { Db } from '../../db/client.js'
import { getPracticeByOds, type PracticeRow } from '../../db/queries/practices.js'
import { OdsCode } from '../inputs.js'

/**
 * The practices named by ODS code (the web page turns its ticked boxes into codes, the CLI takes
 * them as typed): each must be a known practice, or the sentence says which one is not.
 */
export async function knownPractices(db: Db, codes: readonly string[]): Promise<{ practices: PracticeRow[] } | { error: string }> {
  const practices: PracticeRow[] = []
  for (const typed of new Set(codes)) {
    const code = OdsCode.safeParse(typed)
    if (!code.success)
      return { error: `${JSON.stringify(typed.slice(0, 20))} is not a GP practice ODS code (one letter and five digits, such as A81001)` }
    const practice = await getPracticeByOds(db, code.data)
    if (!practice) return { error: `There is no practice with ODS code ${code.data}` }
    if (!practices.some((p) => p.id === practice.id)) practices.push(practice)
  }
  return { practices }
}
