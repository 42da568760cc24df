import http from 'node:http'
import type { AddressInfo } from 'node:net'
import Provider, { type ProviderContext } from 'oidc-provider'
import { loadConfig, type Config } from '../../config/env.js'
import { TEST_PSEUDONYM_KEY, TEST_SESSION_SECRET, TEST_SIGNING_KEY } from './test-env.js'

/**
 * A real OpenID Connect provider (the `oidc-provider` package) in this process on 127.0.0.1,
 * standing in for NHS Care Identity Service 2: authorization code with PKCE required, the
 * client's secret checked at the token endpoint, RP-initiated logout, and accounts whose ID
 * tokens carry CIS2-style claims (nhsid_nrbac_roles, selected_roleid). Its own development
 * login form takes the account id as the login (any password); there is no consent screen
 * (the grant is made at once, as CIS2 does for a registered service).
 */

export interface Cis2Role {
  person_roleid: string
  org_code: string
  role_code: string
  role_name: string
}

export interface Cis2Account {
  name: string
  email?: string
  roles: Cis2Role[]
  /** The person_roleid chosen for this session; unset: CIS2 sends none. */
  selected_roleid?: string
}

export const CLIENT_ID = 'sharing-ledger-test'
export const CLIENT_SECRET = 'test-client-secret-0123456789abcdef0123456789'

/** A role mapping as an installation would write it (OIDC_ROLE_MAP). */
export const ROLE_MAP = {
  roles: {
    R5105: 'caldicott_guardian', // Caldicott Guardian
    R0001: 'auditor', // Privacy Officer
    'S8000:G8001:R8013': 'practice_manager', // a health service manager, by its whole code
    R0008: 'admin',
  },
  // A primary care network's code: its staff see the practices it covers.
  organisations: { U12345: ['A81001', 'A81002'] },
}

/** The accounts of the test provider, by login. */
export const ACCOUNTS: Record<string, Cis2Account> = {
  guardian: {
    name: 'Dr Grace Guardian',
    email: 'grace.guardian@nhs.net',
    roles: [{ person_roleid: '555000000101', org_code: 'A81001', role_code: 'S0080:G0450:R5105', role_name: '"Caldicott Guardian"' }],
    selected_roleid: '555000000101',
  },
  manager: {
    name: 'Mo Manager',
    email: 'mo.manager@nhs.net',
    roles: [
      { person_roleid: '555000000201', org_code: 'A81001', role_code: 'S8000:G8000:R8009', role_name: '"Receptionist"' },
      {
        person_roleid: '555000000202',
        org_code: 'a81002',
        role_code: 'S8000:G8001:R8013',
        role_name: '"Admin and Clerical":"Management - Health":"Health Service Manager"',
      },
    ],
    selected_roleid: '555000000202',
  },
  'pcn-auditor': {
    name: 'Pat Privacy',
    // No e-mail claim: the user is kept under a placeholder address that is never mailed.
    roles: [{ person_roleid: '555000000301', org_code: 'U12345', role_code: 'S8000:G8000:R0001', role_name: '"Privacy Officer"' }],
  },
  receptionist: {
    name: 'Rae Reception',
    email: 'rae.reception@nhs.net',
    roles: [{ person_roleid: '555000000401', org_code: 'A81001', role_code: 'S8000:G8000:R8009', role_name: '"Receptionist"' }],
    selected_roleid: '555000000401',
  },
  elsewhere: {
    name: 'Ed Elsewhere',
    email: 'ed.elsewhere@nhs.net',
    roles: [{ person_roleid: '555000000501', org_code: 'RXX', role_code: 'S0080:G0450:R5105', role_name: '"Caldicott Guardian"' }],
    selected_roleid: '555000000501',
  },
  undecided: {
    name: 'Una Decided',
    email: 'una@nhs.net',
    roles: [
      { person_roleid: '555000000601', org_code: 'A81001', role_code: 'S0080:G0450:R5105', role_name: '"Caldicott Guardian"' },
      { person_roleid: '555000000602', org_code: 'A81002', role_code: 'S0080:G0450:R5105', role_name: '"Caldicott Guardian"' },
    ],
  },
}

export interface TestProvider {
  issuer: string
  close(): Promise<void>
}

/** Starts the provider; `redirectUri` and `postLogoutRedirectUri` are the ledger's, registered for the client. */
export async function startTestProvider(opts: {
  redirectUri: string
  postLogoutRedirectUri: string
  accounts?: Record<string, Cis2Account>
}): Promise<TestProvider> {
  const accounts = opts.accounts ?? ACCOUNTS
  let handler: http.RequestListener = (_req, res) => res.writeHead(503).end()
  const server = http.createServer((req, res) => handler(req, res))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        redirect_uris: [opts.redirectUri],
        post_logout_redirect_uris: [opts.postLogoutRedirectUri],
        response_types: ['code'],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    async findAccount(_ctx: unknown, id: string) {
      const account = accounts[id]
      if (!account) return undefined
      return {
        accountId: id,
        async claims() {
          return {
            sub: id,
            name: account.name,
            ...(account.email ? { email: account.email } : {}),
            nhsid_useruid: `9${id.length}0000000000`,
            nhsid_nrbac_roles: account.roles,
            ...(account.selected_roleid ? { selected_roleid: account.selected_roleid } : {}),
          }
        },
      }
    },
    claims: {
      openid: ['sub'],
      profile: ['name'],
      email: ['email'],
      nationalrbacaccess: ['nhsid_nrbac_roles', 'nhsid_useruid'],
      selectedrole: ['selected_roleid'],
    },
    // CIS2 puts the claims of the granted scopes in the ID token itself.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
    async loadExistingGrant(ctx: ProviderContext) {
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId)
      if (grantId) return ctx.oidc.provider.Grant.find(grantId)
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId })
      grant.addOIDCScope('openid profile email nationalrbacaccess selectedrole')
      await grant.save()
      return grant
    },
    cookies: { keys: ['test-provider-cookie-key-0123456789abcdef'] },
    ttl: { AuthorizationCode: 60, Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600 },
  })
  handler = provider.callback()
  return {
    issuer,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** The ledger's configuration for tests (as test/support/config.ts) with sign-in through the test provider. */
export function oidcTestConfig(databaseUrl: string, issuer: string, redirectUrl: string, env: Record<string, string> = {}): Config {
  return loadConfig({
    DATABASE_URL: databaseUrl,
    PSEUDONYM_KEY: TEST_PSEUDONYM_KEY,
    SIGNING_KEY: TEST_SIGNING_KEY,
    SESSION_SECRET: TEST_SESSION_SECRET,
    NODE_ENV: 'test',
    SCHEDULER: 'off',
    OIDC_ISSUER_URL: issuer,
    OIDC_CLIENT_ID: CLIENT_ID,
    OIDC_CLIENT_SECRET: CLIENT_SECRET,
    OIDC_REDIRECT_URL: redirectUrl,
    OIDC_ROLE_MAP: JSON.stringify(ROLE_MAP),
    ...env,
  })
}

/**
 * A browser's cookies, without a browser: enough to walk the provider's redirects and forms
 * over HTTP (cookies kept per host:port, paths ignored: the provider's names do not clash).
 */
export class CookieJar {
  private readonly jar = new Map<string, Map<string, string>>()

  store(url: string, response: Response): void {
    const host = new URL(url).host
    const cookies = this.jar.get(host) ?? new Map<string, string>()
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';')
      const eq = pair!.indexOf('=')
      const name = pair!.slice(0, eq).trim()
      const value = pair!.slice(eq + 1).trim()
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=Thu, 01 Jan 1970/i.test(a))
      if (expired || value === '') cookies.delete(name)
      else cookies.set(name, value)
    }
    this.jar.set(host, cookies)
  }

  header(url: string): string {
    const cookies = this.jar.get(new URL(url).host)
    return cookies ? [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') : ''
  }

  /** A fetch that sends and keeps this jar's cookies and does not follow redirects. */
  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers)
    const cookie = this.header(url)
    if (cookie) headers.set('Cookie', cookie)
    const response = await fetch(url, { ...init, headers, redirect: 'manual' })
    this.store(url, response)
    return response
  }
}
