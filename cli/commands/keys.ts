import { readConfig } from '../context.js'
import type { Command } from 'commander'
import { signingKeyOf } from '../options.js'

/** `ledger keys public`: the signing key that signs reports and ledger checkpoints. */
export function register(program: Command): void {
  const keysCmd = program.command('keys').description('the signing key that signs reports and ledger checkpoints')
  keysCmd
    .command('public')
    .description('print the public key (PEM) that verifies reports and checkpoints: give it to whoever must check them offline')
    .action(async () => {
      const { publicKeyFingerprint, publicKeyPem } = await import('../../core/signing.js')
      const config = readConfig()
      const key = signingKeyOf(config)
      if (key.development)
        process.stderr.write(
          'WARNING: this is the published DEVELOPMENT signing key (embedded demo). Anything it signs proves nothing. Set SIGNING_KEY.\n',
        )
      process.stderr.write(`Fingerprint (SHA-256 of the key): ${publicKeyFingerprint(key)}\n`)
      process.stdout.write(publicKeyPem(key))
    })
}
