// oidc-provider ships no types (and @types/oidc-provider is not installed): the little the test
// provider (test/support/oidc.ts) uses, typed loosely.
declare module 'oidc-provider' {
  import type http from 'node:http'

  export interface ProviderGrant {
    addOIDCScope(scope: string): void
    save(): Promise<string>
  }

  export interface ProviderContext {
    oidc: {
      client: { clientId: string }
      session: { accountId?: string; grantIdFor(clientId: string): string | undefined }
      result?: { consent?: { grantId?: string } }
      params: Record<string, unknown>
      provider: Provider
    }
  }

  export class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>)
    callback(): (req: http.IncomingMessage, res: http.ServerResponse) => void
    Grant: { new (init: { clientId: string; accountId?: string }): ProviderGrant; find(id: string): Promise<ProviderGrant | undefined> }
    on(event: string, listener: (...args: unknown[]) => void): this
    proxy: boolean
  }
  export default Provider
}
