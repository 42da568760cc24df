import os from 'node:os'
import { getPracticeByOds } from '../../db/queries/practices.js'
import { UserError, withLedger } from '../context.js'
import cliProgress from 'cli-progress'
import type { Command } from 'commander'
import { ods } from '../options.js'

/** `ledger integrity verify|checkpoint`: the tamper-evident ledger (docs/decisions/024); the logic lives in db/ledger/. */
export function register(program: Command): void {
  const integrity = program.command('integrity').description('the tamper-evident ledger: verify the hash chains, sign checkpoints')
  integrity
    .command('verify')
    .description('recompute every chain from the rows: exit 0 when intact, 1 naming what was changed, deleted, inserted or reordered')
    .option('--checkpoint <FILE.json>', 'a signed checkpoint the chains must still contain (its signature is checked first)')
    .option('--public-key <FILE.pem>', 'the public key to check the checkpoint with (default: the configured signing key)')
    .option(
      '--tsa-cert <FILE.pem>',
      "the time-stamping authority's certificate or CA: check the checkpoint's RFC 3161 time-stamp signature with it",
    )
    .option('--practice <ODS>', "only this practice's chain", ods)
    .action((o: { checkpoint?: string; publicKey?: string; tsaCert?: string; practice?: string }) =>
      withLedger(async ({ db, config }) => {
        const fs = await import('node:fs')
        const { verifyIntegrity, parseCheckpoint, CheckpointError, CheckpointRefused } = await import('../../db/ledger/index.js')
        const { parsePublicKey } = await import('../../core/signing.js')
        const read = (file: string) => {
          try {
            return fs.readFileSync(file, 'utf8')
          } catch {
            throw new UserError(`Cannot read ${file}.`)
          }
        }
        let checkpoint
        let publicKey
        if (o.checkpoint) {
          try {
            checkpoint = parseCheckpoint(read(o.checkpoint))
          } catch (err) {
            if (err instanceof CheckpointError) throw new UserError(`${o.checkpoint}: ${err.message}`)
            throw err
          }
          if (o.publicKey) {
            publicKey = parsePublicKey(read(o.publicKey)) ?? undefined
            if (!publicKey) throw new UserError(`${o.publicKey} is not an Ed25519 public key (SPKI PEM).`)
          } else {
            publicKey = config.signingKey?.publicKey
          }
        }
        if (o.tsaCert && !o.checkpoint) throw new UserError("--tsa-cert checks a checkpoint's time-stamp: give --checkpoint FILE.json too.")
        const tsaCertPem = o.tsaCert ? read(o.tsaCert) : undefined
        let chain: number | undefined
        if (o.practice) {
          const practice = await getPracticeByOds(db, o.practice)
          if (!practice) throw new UserError(`There is no practice with ODS code ${o.practice}.`)
          chain = practice.id
        }
        const bar = progressBar()
        try {
          const r = await verifyIntegrity(db, {
            chain,
            checkpoint,
            publicKey,
            tsaCertPem,
            runBy: `cli:${os.userInfo().username}`,
            onProgress: bar?.update,
          })
          bar?.stop()
          if (r.checkpoint) console.log(`Checkpoint of ${r.checkpoint.createdAt}: signature valid.`)
          if (r.checkpoint?.timestamp) console.log(`Checkpoint ${r.checkpoint.timestamp}.`)
          for (const p of r.problems) console.log(`${p.kind.toUpperCase()}: ${p.message}`)
          if (r.moreProblems > 0) console.log(`... and ${r.moreProblems} more problem(s).`)
          const scope = chain === undefined ? `${r.heads.length} chain(s)` : `the chain of ${o.practice}`
          if (!r.intact)
            throw new UserError(
              `NOT INTACT: ${r.problems.length + r.moreProblems} problem(s) in ${scope} (${r.entries} entries, ${r.rowsChecked} rows checked).`,
              1,
            )
          console.log(
            `Intact: ${scope}, ${r.entries} entries, ${r.rowsChecked} rows checked${r.checkpoint ? ', every checkpointed head present' : ''}.`,
          )
        } catch (err) {
          bar?.stop()
          if (err instanceof CheckpointRefused) throw new UserError(err.message, 1)
          throw err
        }
      }),
    )
  integrity
    .command('checkpoint')
    .description('sign the head of every chain (Ed25519), store the checkpoint and write it as JSON to keep elsewhere')
    .option('--out <FILE.json>', 'where to write the checkpoint (default: print it)')
    .action((o: { out?: string }) =>
      withLedger(async ({ db, config }) => {
        const fs = await import('node:fs')
        const { createCheckpoint } = await import('../../db/ledger/index.js')
        const { requireSigningKey, ConfigError } = await import('../../config/env.js')
        let key
        try {
          key = requireSigningKey(config)
        } catch (err) {
          if (err instanceof ConfigError) throw new UserError(err.message)
          throw err
        }
        if (key.development)
          process.stderr.write(
            'WARNING: signing with the published DEVELOPMENT key: this checkpoint proves nothing. Set SIGNING_KEY for real data.\n',
          )
        const { timestamper } = await import('../../core/timestamp.js')
        const cp = await createCheckpoint(db, key, `cli:${os.userInfo().username}`, timestamper(config.tsaUrl))
        if (cp.timestampError) process.stderr.write(`WARNING: the checkpoint has no time-stamp: ${cp.timestampError}\n`)
        const text = `${JSON.stringify(cp, null, 2)}\n`
        if (o.out) {
          fs.writeFileSync(o.out, text)
          const stamped = cp.timestamp ? `, time-stamped ${cp.timestamp.genTime} by ${cp.timestamp.tsa}` : ''
          console.log(`Checkpoint ${cp.id}: ${cp.chains.length} chain(s) signed${stamped}, written to ${o.out}.`)
        } else {
          process.stdout.write(text)
        }
      }),
    )
}

/** A progress line on an interactive terminal; a line per table or chain when piped to a log. */
function progressBar(): { update: (p: { phase: string; label: string; done: number; total: number }) => void; stop: () => void } | null {
  let lastLabel = ''
  if (!process.stderr.isTTY) {
    return {
      update: (p) => {
        const what = p.phase === 'chain' ? 'chains' : `rows of ${p.label}`
        if (what !== lastLabel) process.stderr.write(`verifying ${what}\n`)
        lastLabel = what
      },
      stop: () => {},
    }
  }
  const bar = new cliProgress.SingleBar(
    { format: 'verifying {what} |{bar}| {value}/{total}', stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  )
  let started = false
  return {
    update: (p) => {
      const what = p.phase === 'chain' ? 'chains' : p.label
      if (!started || what !== lastLabel) {
        if (started) bar.stop()
        bar.start(p.total, p.done, { what })
        started = true
      } else bar.update(p.done, { what })
      lastLabel = what
    },
    stop: () => started && bar.stop(),
  }
}
