import fs from 'node:fs'
import path from 'node:path'
import type { ImportResult } from './csv.js'
import { importNdopFile } from './import-ndop.js'
import { importRegisterFile } from './import-register.js'
import { refreshFindings } from '../core/findings/refresh.js'
import type { RunnerDeps } from './runner.js'

/**
 * The drop folder that a scheduled job empties, so practice staff can hand over files without
 * a command line:
 *   <dir>/ndop/NDOP_reg_geog_<Mon_YYYY>.csv   NHS England's publication
 *   <dir>/register/<practice ODS>/<any>.csv   a practice's disclosure register
 * An imported file moves to done/ beside it; a failed one to failed/ with <name>.reason.txt.
 * A skipped (already running) or cancelled import leaves the file where it is for the next run.
 */

export type InboxResult = ImportResult & { file: string }

const NDOP_FILE = /^NDOP_reg_geog_.*\.csv$/i
const CSV_FILE = /\.csv$/i

export async function importInbox(deps: RunnerDeps, dir: string, opts: { settleMs?: number } = {}): Promise<InboxResult[]> {
  // A file written in the last minute may still be arriving over a network share.
  const settleMs = opts.settleMs ?? 60_000
  const results: InboxResult[] = []
  const importEach = async (folder: string, pattern: RegExp, importFile: (file: string) => Promise<ImportResult>) => {
    for (const file of settledFiles(folder, pattern, settleMs)) {
      if (deps.signal?.aborted) return
      if (!fs.existsSync(file)) continue // another runner has just imported it and filed it away
      const result = await importFile(file)
      fileAway(file, result)
      results.push({ ...result, file })
    }
  }

  await importEach(path.join(dir, 'ndop'), NDOP_FILE, (file) => importNdopFile(deps, file, { trigger: 'schedule' }))
  for (const practice of subfolders(path.join(dir, 'register'))) {
    await importEach(path.join(dir, 'register', practice), CSV_FILE, (file) =>
      importRegisterFile(deps, file, practice, { trigger: 'schedule' }),
    )
  }
  // New register disclosures and NDOP counts are judged at once, as after a collection.
  if (results.some((r) => r.status === 'completed')) await refreshFindings(deps)
  return results
}

function subfolders(folder: string): string[] {
  if (!fs.existsSync(folder)) return []
  return fs
    .readdirSync(folder, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()
}

/** Files in `folder` (not its done/ and failed/ subfolders) that nobody has written to for settleMs. */
function settledFiles(folder: string, pattern: RegExp, settleMs: number): string[] {
  if (!fs.existsSync(folder)) return []
  const now = Date.now()
  return fs
    .readdirSync(folder, { withFileTypes: true })
    .filter((e) => e.isFile() && pattern.test(e.name))
    .map((e) => path.join(folder, e.name))
    .filter((file) => settleMs <= 0 || now - (fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? now) >= settleMs)
    .sort()
}

function fileAway(file: string, result: ImportResult): void {
  if (result.status !== 'completed' && result.status !== 'failed') return
  const folder = path.join(path.dirname(file), result.status === 'completed' ? 'done' : 'failed')
  fs.mkdirSync(folder, { recursive: true })
  const target = freeName(folder, path.basename(file))
  // Another runner may have filed it away already; there is then nothing left to move.
  try {
    fs.renameSync(file, target)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw err
  }
  if (result.status === 'failed') {
    const run = result.runId === null ? '' : ` (job run ${result.runId})`
    fs.writeFileSync(`${target}.reason.txt`, `${result.error ?? 'unknown error'}${run}\n`)
  }
}

/** The name itself, or with a timestamp when a file of that name was filed before: never overwrite evidence. */
function freeName(folder: string, name: string): string {
  const target = path.join(folder, name)
  if (!fs.existsSync(target)) return target
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  const ext = path.extname(name)
  return path.join(folder, `${path.basename(name, ext)}.${stamp}${ext}`)
}
