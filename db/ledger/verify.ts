import crypto from 'node:crypto'
import type { Knex } from 'knex'
import type { Db } from '../client.js'
import { CHAINED_TABLES, ROW_HASH_SQL, type ChainedTable } from './tables.js'

// The verifier (decision 024): walks every chain from its genesis, recomputing each entry's hash
// here (not in the database), then re-encodes every row of every chained table and compares it
// with the latest entry the chain holds for that row. Both walks go in bounded pages (keyset on
// the chain, key ranges on the tables) so memory stays flat whatever the size of the ledger.

export type ProblemKind = 'changed' | 'deleted' | 'inserted' | 'reordered' | 'restored' | 'broken' | 'checkpoint'

export interface LedgerProblem {
  kind: ProblemKind
  table: string | null
  row: string | null
  chain: number | null
  seq: number | null
  message: string
}

export interface ChainHead {
  chain: number
  seq: number
  hash: string
}

export interface VerifyProgress {
  phase: 'chain' | 'rows'
  label: string
  done: number
  total: number
}

export interface VerifyOptions {
  /** Only this chain (a practice id, or 0 for system-wide records). */
  chain?: number
  /** Heads a signed checkpoint vouches for: each chain must still contain them. */
  checkpointHeads?: ChainHead[]
  onProgress?: (p: VerifyProgress) => void
  /** Rows per page; small in tests to exercise the paging. */
  pageSize?: number
}

export interface VerifyResult {
  intact: boolean
  entries: number
  rowsChecked: number
  heads: ChainHead[]
  problems: LedgerProblem[]
  /** Problems beyond the ones listed (the list is capped so a wrecked database still prints). */
  moreProblems: number
}

const MAX_PROBLEMS = 1000

/** bytea arrives as a Buffer from pg and as a Uint8Array from the embedded database. */
const bytes = (v: Uint8Array | null): Buffer | null =>
  v === null ? null : Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength)

export const genesisHash = (chain: number) => crypto.createHash('sha256').update(`sharing-ledger chain ${chain}`, 'utf8').digest()

/** What the trigger computes: SHA-256(prev_hash || "seq:table:row_key:op:row_hash_hex"). */
export function entryHash(prev: Buffer, seq: number, table: string, rowKey: string, op: string, rowHash: Buffer | null): Buffer {
  return crypto
    .createHash('sha256')
    .update(prev)
    .update(`${seq}:${table}:${rowKey}:${op}:${rowHash ? rowHash.toString('hex') : ''}`, 'utf8')
    .digest()
}

class Problems {
  list: LedgerProblem[] = []
  more = 0
  add(p: LedgerProblem) {
    if (this.list.length < MAX_PROBLEMS) this.list.push(p)
    else this.more++
  }
  get count() {
    return this.list.length + this.more
  }
}

export async function verifyLedger(db: Db, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const problems = new Problems()
  const pageSize = opts.pageSize ?? 20_000
  const progress = opts.onProgress ?? (() => {})
  const onlyChain = opts.chain

  // ---- 1. The chains: contiguous sequence numbers, each link and hash recomputed.
  const { rows: chainRows } = await db.raw(
    `SELECT c.chain_key, h.seq AS head_seq, h.hash AS head_hash,
            (SELECT count(*) FROM ledger_entries e WHERE e.chain_key = c.chain_key)::bigint AS entries
       FROM (SELECT chain_key FROM ledger_heads UNION SELECT DISTINCT chain_key FROM ledger_entries) c
       LEFT JOIN ledger_heads h ON h.chain_key = c.chain_key
      ${onlyChain === undefined ? '' : 'WHERE c.chain_key = ?'}
      ORDER BY c.chain_key`,
    onlyChain === undefined ? [] : [onlyChain],
  )
  const totalEntries = chainRows.reduce((n: number, r: { entries: number }) => n + Number(r.entries), 0)
  const checkpoint = new Map((opts.checkpointHeads ?? []).map((h) => [h.chain, h]))
  const heads: ChainHead[] = []
  let entries = 0
  for (const raw of chainRows as Array<{ chain_key: number; head_seq: number | null; head_hash: Uint8Array | null }>) {
    const c = { ...raw, head_hash: bytes(raw.head_hash) }
    const chain = Number(c.chain_key)
    let running: Buffer = genesisHash(chain)
    let expected = 1
    let after = 0
    const cp = checkpoint.get(chain)
    let cpSeen = false
    for (;;) {
      const { rows } = await db.raw(
        `SELECT seq, table_name, row_key, op, row_hash, prev_hash, hash FROM ledger_entries
          WHERE chain_key = ? AND seq > ? ORDER BY seq LIMIT ?`,
        [chain, after, pageSize],
      )
      for (const raw of rows as Array<{
        seq: number
        table_name: string
        row_key: string
        op: string
        row_hash: Uint8Array | null
        prev_hash: Uint8Array
        hash: Uint8Array
      }>) {
        const e = { ...raw, row_hash: bytes(raw.row_hash), prev_hash: bytes(raw.prev_hash)!, hash: bytes(raw.hash)! }
        const seq = Number(e.seq)
        if (seq !== expected) {
          problems.add({
            kind: 'broken',
            table: null,
            row: null,
            chain,
            seq: expected,
            message: `chain ${chain}: ${seq - expected === 1 ? `entry ${expected} is` : `entries ${expected}-${seq - 1} are`} missing from the ledger`,
          })
          running = e.prev_hash // carry on from what is there, so one gap is one problem
        }
        if (!e.prev_hash.equals(running)) {
          problems.add({
            kind: 'broken',
            table: e.table_name,
            row: e.row_key,
            chain,
            seq,
            message: `chain ${chain} entry ${seq} (${e.table_name} row ${e.row_key}): its link to the entry before it does not match`,
          })
        }
        const h = entryHash(e.prev_hash, seq, e.table_name, e.row_key, e.op, e.row_hash)
        if (!h.equals(e.hash)) {
          problems.add({
            kind: 'broken',
            table: e.table_name,
            row: e.row_key,
            chain,
            seq,
            message: `chain ${chain} entry ${seq} (${e.table_name} row ${e.row_key}) was altered: its hash does not match its contents`,
          })
        }
        if (cp && cp.seq === seq) {
          cpSeen = true
          if (cp.hash !== e.hash.toString('hex')) {
            problems.add({
              kind: 'checkpoint',
              table: null,
              row: null,
              chain,
              seq,
              message: `chain ${chain}: entry ${seq} is not the one the checkpoint signed (the chain was rewritten)`,
            })
          }
        }
        running = e.hash
        expected = seq + 1
        after = seq
        entries++
      }
      if (rows.length > 0) progress({ phase: 'chain', label: `chain ${chain}`, done: entries, total: totalEntries })
      if (rows.length < pageSize) break
    }
    const last = expected - 1
    if (c.head_seq === null) {
      problems.add({ kind: 'broken', table: null, row: null, chain, seq: last, message: `chain ${chain}: its head record is missing` })
    } else if (Number(c.head_seq) !== last || !c.head_hash!.equals(running)) {
      problems.add({
        kind: 'broken',
        table: null,
        row: null,
        chain,
        seq: last,
        message:
          Number(c.head_seq) > last
            ? `chain ${chain}: entries ${last + 1}-${c.head_seq} are missing from the end of the ledger`
            : `chain ${chain}: its head (entry ${c.head_seq}) does not match the last entry (${last})`,
      })
    }
    if (cp && !cpSeen) {
      problems.add({
        kind: 'checkpoint',
        table: null,
        row: null,
        chain,
        seq: cp.seq,
        message: `chain ${chain} ends at entry ${last}, before the checkpoint's head ${cp.seq}: entries were removed or an older ledger restored`,
      })
    }
    heads.push({ chain, seq: last, hash: running.toString('hex') })
  }
  for (const cp of checkpoint.values()) {
    if (!heads.some((h) => h.chain === cp.chain) && (onlyChain === undefined || onlyChain === cp.chain)) {
      problems.add({
        kind: 'checkpoint',
        table: null,
        row: null,
        chain: cp.chain,
        seq: cp.seq,
        message: `chain ${cp.chain}, signed at entry ${cp.seq} by the checkpoint, is gone from the ledger`,
      })
    }
  }

  // ---- 2. The rows: each must match the latest entry its chain holds for it.
  let rowsChecked = 0
  for (const t of CHAINED_TABLES) {
    rowsChecked += await compareTable(db, t, { chain: onlyChain, pageSize, problems, progress })
  }

  return { intact: problems.count === 0, entries, rowsChecked, heads, problems: problems.list, moreProblems: problems.more }
}

interface Mismatch {
  key: string
  cur: Buffer | null
  led: Buffer | null
  op: string | null
  chain: number | null
  seq: number | null
}

async function compareTable(
  db: Db,
  t: ChainedTable,
  ctx: { chain: number | undefined; pageSize: number; problems: Problems; progress: (p: VerifyProgress) => void },
): Promise<number> {
  const chainFilterRows = ctx.chain === undefined ? '' : ` AND coalesce(${t.chain}, 0) = ${Number(ctx.chain)}`
  const chainFilterLedger = ctx.chain === undefined ? '' : ` AND chain_key = ${Number(ctx.chain)}`
  const excluded = `{${t.excluded.join(',')}}`
  const mismatches: Mismatch[] = []
  let checked = 0

  // Rows and the latest entry per row key, full-joined: only disagreements come back.
  const compare = (rowWhere: string, ledgerWhere: string) => `
    WITH cur AS (
      SELECT (${t.key})::text AS k, ${ROW_HASH_SQL} AS h FROM ${t.table} r WHERE ${rowWhere}${chainFilterRows}
    ), led AS (
      SELECT DISTINCT ON (row_key) row_key AS k, op, row_hash AS h, chain_key, seq
        FROM ledger_entries WHERE table_name = '${t.table}' AND ${ledgerWhere}${chainFilterLedger}
       ORDER BY row_key, at DESC, seq DESC
    )
    SELECT coalesce(cur.k, led.k) AS key, cur.h AS cur, led.h AS led, led.op, led.chain_key, led.seq, NULL::bigint AS n
      FROM cur FULL JOIN led ON led.k = cur.k
     WHERE cur.h IS DISTINCT FROM led.h
     UNION ALL SELECT NULL, NULL, NULL, NULL, NULL, NULL, (SELECT count(*) FROM cur)::bigint`

  const run = async (sql: string, bindings: Knex.RawBinding[]) =>
    db.transaction(async (trx) => {
      // to_jsonb renders a timestamptz in the session's zone: the canonical zone is UTC.
      await trx.raw(`SET LOCAL "TimeZone" = 'UTC'`)
      const { rows } = await trx.raw(sql, bindings)
      return rows as Array<{
        key: string | null
        cur: Uint8Array | null
        led: Uint8Array | null
        op: string | null
        chain_key: number | null
        seq: number | null
        n: number
      }>
    })
  const collect = (rows: Awaited<ReturnType<typeof run>>) => {
    for (const r of rows) {
      if (r.key === null) {
        checked += Number(r.n)
        continue
      }
      if (mismatches.length < MAX_PROBLEMS)
        mismatches.push({
          key: r.key,
          cur: bytes(r.cur),
          led: bytes(r.led),
          op: r.op,
          chain: r.chain_key === null ? null : Number(r.chain_key),
          seq: r.seq === null ? null : Number(r.seq),
        })
      else ctx.problems.more++
    }
  }

  if (t.numericKey) {
    const { rows } = await db.raw(
      `SELECT least((SELECT min(id) FROM ${t.table}), (SELECT min(row_num) FROM ledger_entries WHERE table_name = ? AND row_num IS NOT NULL))::bigint AS lo,
              greatest((SELECT max(id) FROM ${t.table}), (SELECT max(row_num) FROM ledger_entries WHERE table_name = ? AND row_num IS NOT NULL))::bigint AS hi`,
      [t.table, t.table],
    )
    const lo = rows[0].lo === null ? null : Number(rows[0].lo)
    const hi = rows[0].hi === null ? null : Number(rows[0].hi)
    if (lo !== null && hi !== null) {
      for (let from = lo; from <= hi; from += ctx.pageSize) {
        const to = from + ctx.pageSize
        collect(await run(compare(`r.id >= ${from} AND r.id < ${to}`, `row_num >= ${from} AND row_num < ${to}`), [excluded]))
        ctx.progress({ phase: 'rows', label: t.table, done: Math.min(to, hi + 1) - lo, total: hi + 1 - lo })
      }
    }
  } else {
    // Small tables keyed by text (a uuid, a pair): one comparison.
    collect(await run(compare('TRUE', 'row_num IS NULL'), [excluded]))
    ctx.progress({ phase: 'rows', label: t.table, done: 1, total: 1 })
  }

  if (mismatches.length > 0) await classify(db, t, mismatches, ctx.problems)
  return checked
}

/** Names what happened to each row that disagrees with its chain. */
async function classify(db: Db, t: ChainedTable, mismatches: Mismatch[], problems: Problems): Promise<void> {
  // Where else in the ledger does each changed row's current content appear?
  const wanted = [...new Set(mismatches.filter((m) => m.cur !== null).map((m) => m.cur!.toString('hex')))]
  const seen = new Map<string, Array<{ key: string; seq: number; chain: number }>>()
  if (wanted.length > 0) {
    const { rows } = await db.raw(
      `SELECT encode(row_hash, 'hex') AS h, row_key, seq, chain_key FROM ledger_entries
        WHERE table_name = ? AND row_hash IN (SELECT decode(x, 'hex') FROM unnest(?::text[]) x)`,
      [t.table, wanted],
    )
    for (const r of rows as Array<{ h: string; row_key: string; seq: number; chain_key: number }>) {
      const list = seen.get(r.h) ?? []
      list.push({ key: r.row_key, seq: Number(r.seq), chain: Number(r.chain_key) })
      seen.set(r.h, list)
    }
  }
  // The latest hash per key, to tell a row moved from another key from an old copy of it.
  const latestByKey = new Map(mismatches.filter((m) => m.led !== null).map((m) => [m.key, m.led!.toString('hex')]))
  for (const m of mismatches) {
    const base = { table: t.table, row: m.key, chain: m.chain, seq: m.seq }
    const where = `${t.table} row ${m.key}`
    if (m.cur === null) {
      problems.add({
        ...base,
        kind: 'deleted',
        message: `${where} was deleted: the ledger holds it (chain ${m.chain}, entry ${m.seq}) but the table does not`,
      })
      continue
    }
    if (m.led === null) {
      if (m.op === 'delete') {
        problems.add({
          ...base,
          kind: 'inserted',
          message: `${where} is back: the ledger recorded its deletion (chain ${m.chain}, entry ${m.seq})`,
        })
        continue
      }
      const elsewhere = (seen.get(m.cur.toString('hex')) ?? []).find((s) => s.key !== m.key)
      problems.add(
        elsewhere
          ? {
              ...base,
              kind: 'reordered',
              message: `${where} has no entry of its own but holds what the ledger recorded for row ${elsewhere.key}: rows were moved`,
            }
          : { ...base, kind: 'inserted', message: `${where} was inserted behind the ledger's back: no chain holds it` },
      )
      continue
    }
    const hex = m.cur.toString('hex')
    const hits = seen.get(hex) ?? []
    const other = hits.find((s) => s.key !== m.key && (latestByKey.get(s.key) ?? hex) === hex)
    const older = hits.find((s) => s.key === m.key)
    if (other) {
      problems.add({
        ...base,
        kind: 'reordered',
        message: `${where} now holds what the ledger recorded for row ${other.key}: rows were swapped or reordered`,
      })
    } else if (older) {
      problems.add({
        ...base,
        kind: 'restored',
        message: `${where} was changed back to an older version (chain ${older.chain}, entry ${older.seq}): an older copy was restored`,
      })
    } else {
      problems.add({
        ...base,
        kind: 'changed',
        message: `${where} was changed: it no longer matches the ledger (chain ${m.chain}, entry ${m.seq})`,
      })
    }
  }
}
