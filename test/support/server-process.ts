import { spawn } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import { TEST_PSEUDONYM_KEY, TEST_SESSION_SECRET, TEST_SIGNING_KEY } from './test-env.js'

/** A port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo
      probe.close(() => resolve(port))
    })
  })
}

export interface ServerProcess {
  url: string
  pid: number
  output(): string
  exited: Promise<number | null>
  /** Resident memory of the server process, in MB (Linux /proc). */
  rssMb(): number
  stop(): Promise<number | null>
}

/**
 * `npm start` as its own process against a test database: what an attacker meets. Resolves
 * once it says it is running (or rejects with its output when it exits first).
 */
export async function startServerProcess(
  databaseUrl: string,
  env: Record<string, string> = {},
  runningPattern = /running at /,
): Promise<ServerProcess> {
  const port = await freePort()
  const child = spawn(process.execPath, ['--import', 'tsx', 'server.ts'], {
    env: {
      ...process.env,
      NODE_ENV: 'test',
      DATABASE_URL: databaseUrl,
      PSEUDONYM_KEY: TEST_PSEUDONYM_KEY,
      SESSION_SECRET: TEST_SESSION_SECRET,
      SIGNING_KEY: TEST_SIGNING_KEY,
      SCHEDULER: 'off',
      HOST: '127.0.0.1',
      PORT: String(port),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (d) => (output += d))
  child.stderr.on('data', (d) => (output += d))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const server: ServerProcess = {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    output: () => output,
    exited,
    rssMb() {
      const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8')
      return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM')
      return exited
    },
  }
  const until = Date.now() + 90_000
  while (!runningPattern.test(output)) {
    if (child.exitCode !== null) throw new Error(`the server exited: ${output}`)
    if (Date.now() > until) {
      child.kill('SIGKILL')
      throw new Error(`the server did not start: ${output}`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  return server
}
