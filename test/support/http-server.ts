import http from 'node:http'
import type { AddressInfo } from 'node:net'

export interface TestHttpServer {
  /** http://127.0.0.1:<port> */
  url: string
  close(): Promise<void>
}

/**
 * A real HTTP server on 127.0.0.1 and a random port, for attacks that need real sockets
 * (trickled and compressed bodies, redirects): msw answers inside fetch and cannot make them.
 */
export async function startHttpServer(handler: http.RequestListener): Promise<TestHttpServer> {
  const server = http.createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** A FHIR searchset Bundle of `resources`, with a next link when given. */
export function searchset(resources: unknown[], next?: string): unknown {
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    link: next ? [{ relation: 'next', url: next }] : [],
    entry: resources.map((resource) => ({ resource, search: { mode: 'match' } })),
  }
}
