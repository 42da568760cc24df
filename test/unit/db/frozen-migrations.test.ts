import { readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// Decision 033: a shipped migration does what it did on the day it shipped, so it may import
// only what cannot change under it: knex's types, Node's built-in modules and other migrations.

const MIGRATIONS_DIR = fileURLToPath(new URL('../../../db/migrations/', import.meta.url))

/** Every module a file names, with the statement that names it: imports, re-exports, import(), require(). */
function imports(source: string): Array<{ statement: string; specifier: string }> {
  const patterns = [
    /\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"`]([^'"`]+)/g,
    /\brequire\s*\(\s*['"`]([^'"`]+)/g,
  ]
  return patterns.flatMap((pattern) =>
    [...source.matchAll(pattern)].map((m) => ({ statement: m[0].replace(/\s+/g, ' '), specifier: m[1]! })),
  )
}

function allowed({ statement, specifier }: { statement: string; specifier: string }): boolean {
  if (specifier === 'knex') return /^import type\b/.test(statement)
  if (specifier.startsWith('node:')) return true
  return specifier.startsWith('./') && !specifier.slice(2).includes('/')
}

describe('frozen migrations', () => {
  const files = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.ts'))

  it('finds the migrations', () => {
    expect(files.length).toBeGreaterThan(10)
  })

  it.each(files)('%s imports nothing that can change under it', (file) => {
    const source = readFileSync(path.join(MIGRATIONS_DIR, file), 'utf8')
    const wrong = imports(source).filter((i) => !allowed(i))
    expect(wrong, 'copy the SQL (or code) into the migration instead: docs/decisions/033').toEqual([])
  })

  it('reads import statements as the check means them', () => {
    const check = (source: string) => imports(source).map((i) => [i.specifier, allowed(i)])
    expect(check(`import type { Knex } from 'knex'`)).toEqual([['knex', true]])
    expect(check(`import type {\n  Knex,\n} from 'knex'`)).toEqual([['knex', true]])
    expect(check(`import knex from 'knex'`)).toEqual([['knex', false]])
    expect(check(`import {\n  addRowsSql,\n} from '../rollups.js'`)).toEqual([['../rollups.js', false]])
    expect(check(`export { x } from '../../core/x.js'`)).toEqual([['../../core/x.js', false]])
    expect(check(`import { x } from './sub/x.js'`)).toEqual([['./sub/x.js', false]])
    expect(check(`import { X } from './20261123130000_disclosure_narrow_rollups.js'`)).toEqual([
      ['./20261123130000_disclosure_narrow_rollups.js', true],
    ])
    expect(check(`import crypto from 'node:crypto'`)).toEqual([['node:crypto', true]])
    expect(check(`const m = await import('../../core/identifiers.js')`)).toEqual([['../../core/identifiers.js', false]])
  })
})
