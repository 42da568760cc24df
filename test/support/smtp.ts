import type { AddressInfo } from 'node:net'
import { simpleParser, type ParsedMail } from 'mailparser'
import { SMTPServer } from 'smtp-server'

export interface TestSmtp {
  /** smtp://127.0.0.1:PORT, for SMTP_URL. */
  readonly url: string
  /** Every message accepted so far, parsed. */
  readonly messages: ParsedMail[]
  /** Addresses whose RCPT TO the server refuses (550), to test a refused mail. */
  readonly refuse: Set<string>
  close(): Promise<void>
}

/** A real SMTP server in this process on 127.0.0.1 (a free port), keeping what arrives. */
export async function startTestSmtp(): Promise<TestSmtp> {
  const messages: ParsedMail[] = []
  const refuse = new Set<string>()
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (refuse.has(address.address.toLowerCase())) {
        const err = Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 })
        return callback(err)
      }
      callback()
    },
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          messages.push(parsed)
          callback()
        })
        .catch(callback)
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.server.address() as AddressInfo
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    refuse,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
