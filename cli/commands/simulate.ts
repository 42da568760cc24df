import { startSimulator } from '../../simulator/server.js'
import type { Command } from 'commander'
import { readFile } from 'node:fs/promises'
import { UserError } from '../context.js'
import { int } from '../options.js'

/** `ledger simulate`: simulated practice systems for the demo and tests. */
export function register(program: Command): void {
  program
    .command('simulate')
    .description('serve simulated practice systems (FHIR R4) on loopback, for the demo and tests')
    .requiredOption('--port <port>', 'port to listen on', int('--port'))
    .option('--practices <n>', 'number of practices', int('--practices'), 3)
    .option('--days <d>', 'days of history', int('--days'), 90)
    .option('--seed <s>', 'random seed (same seed, same data)', int('--seed'), 1)
    .option('--token <token>', 'require this bearer token')
    .option('--smart-client <id>', 'SMART Backend Services: register this client id ($export then needs its access token)')
    .option('--smart-public-key <file>', "the client's public key (PEM or JWK), with --smart-client")
    .action(async (o) => {
      if (Boolean(o.smartClient) !== Boolean(o.smartPublicKey)) throw new UserError('--smart-client and --smart-public-key go together.', 2)
      const smart = o.smartClient ? { clients: { [o.smartClient]: await readFile(o.smartPublicKey, 'utf8') } } : undefined
      const sim = await startSimulator({ port: o.port, practices: o.practices, days: o.days, seed: o.seed, token: o.token, smart })
      console.log(`Simulator serving ${sim.practices.length} practices at ${sim.url}`)
      for (const p of sim.practices) console.log(`  ${p.odsCode} ${p.name}: ${p.fhirBaseUrl}`)
      const stop = async () => {
        await sim.close()
        process.exit(0)
      }
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
    })
}
