import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../../config/env.js'
import { parseRoleMap } from '../../../config/oidc.js'
import { mapCis2Claims, mappedRole, roleProfiles } from '../../../core/cis2-claims.js'

// Decision 038: the mapping from a CIS2 role profile to a role and practices, and its
// configuration. Nothing unlisted gets in; nothing is guessed.

const roleMap = parseRoleMap(
  JSON.stringify({
    roles: { r5105: 'caldicott_guardian', 'S8000:G8001:R8013': 'practice_manager', R0001: 'auditor' },
    organisations: { u12345: ['a81001', 'A81002', 'A89999'] },
  }),
  'test',
)
const known = new Set(['A81001', 'A81002', 'A81003'])
const profile = (person_roleid: string, org_code: string, role_code: string, role_name = '"Some Role"') => ({
  person_roleid,
  org_code,
  role_code,
  role_name,
})

describe('CIS2 claims to role and practices', () => {
  it('maps the selected profile by its whole role code or by its job role, upper-casing what it reads', () => {
    expect(mappedRole(roleMap, 'S0080:G0450:R5105')).toBe('caldicott_guardian')
    expect(mappedRole(roleMap, 's8000:g8001:r8013')).toBe('practice_manager')
    // The whole code is listed for R8013 only under S8000:G8001: another staff group's R8013 is not mapped.
    expect(mappedRole(roleMap, 'S9999:G9999:R8013')).toBeNull()
    expect(mappedRole(roleMap, 'R8000')).toBeNull()
    const result = mapCis2Claims(
      { nhsid_nrbac_roles: [profile('1', 'a81001', 'S0080:G0450:R5105'), profile('2', 'A81002', 'R0001')], selected_roleid: '2' },
      roleMap,
      known,
    )
    expect(result).toMatchObject({ ok: true, role: 'auditor', practiceOds: ['A81002'], profile: { personRoleId: '2' } })
  })

  it('maps a non-practice organisation to the practices listed for it that the ledger holds', () => {
    const result = mapCis2Claims({ nhsid_nrbac_roles: [profile('1', 'U12345', 'R0001')] }, roleMap, known)
    expect(result).toMatchObject({ ok: true, practiceOds: ['A81001', 'A81002'] })
  })

  it('reads the roles when they come as a JSON string, and the job role name out of CIS2’s quoted path', () => {
    const roles = roleProfiles({
      nhsid_nrbac_roles: JSON.stringify([
        profile('1', 'A81001', 'R5105', '"Admin and Clerical":"Management - Health":"Caldicott Guardian"'),
      ]),
    })
    expect(roles).toEqual([{ personRoleId: '1', orgCode: 'A81001', roleCode: 'R5105', roleName: 'Caldicott Guardian' }])
    expect(roleProfiles({ nhsid_nrbac_roles: 'not json' })).toEqual([])
    expect(roleProfiles({ nhsid_nrbac_roles: [{ org_code: 'A81001' }, null, 7] })).toEqual([])
  })

  it('refuses, with its reason, whatever it cannot map: no default role', () => {
    const refuse = (claims: Record<string, unknown>) => mapCis2Claims(claims, roleMap, known)
    expect(refuse({})).toMatchObject({ ok: false, reason: 'no_roles' })
    expect(refuse({ nhsid_nrbac_roles: [profile('1', 'A81001', 'R5105'), profile('2', 'A81002', 'R5105')] })).toMatchObject({
      ok: false,
      reason: 'no_selected_role',
    })
    expect(refuse({ nhsid_nrbac_roles: [profile('1', 'A81001', 'R5105')], selected_roleid: '9' })).toMatchObject({
      ok: false,
      reason: 'no_selected_role',
    })
    const unmapped = refuse({ nhsid_nrbac_roles: [profile('1', 'A81001', 'S8000:G8000:R8009', '"Receptionist"')] })
    expect(unmapped).toMatchObject({ ok: false, reason: 'unmapped_role' })
    expect(unmapped.ok || unmapped.message).toContain('Receptionist (S8000:G8000:R8009) at organisation A81001')
    expect(refuse({ nhsid_nrbac_roles: [profile('1', 'RXX', 'R5105')] })).toMatchObject({ ok: false, reason: 'unknown_organisation' })
    // A mapped organisation none of whose practices the ledger holds is as unknown.
    const onlyMissing = parseRoleMap(JSON.stringify({ roles: { R5105: 'caldicott_guardian' }, organisations: { U1234: ['B99999'] } }), 't')
    expect(mapCis2Claims({ nhsid_nrbac_roles: [profile('1', 'U1234', 'R5105')] }, onlyMissing, known)).toMatchObject({
      reason: 'unknown_organisation',
    })
  })
})

/** loadConfig over just these variables (the process's own environment left out). */
const load = (env: Record<string, string>) => loadConfig(env as NodeJS.ProcessEnv)

describe('OIDC configuration', () => {
  const base = {
    OIDC_ISSUER_URL: 'https://cis2.example.nhs.uk/realms/Healthcare',
    OIDC_CLIENT_ID: 'ledger',
    OIDC_CLIENT_SECRET: 'secret',
    PUBLIC_URL: 'https://ledger.example.nhs.uk/',
    OIDC_ROLE_MAP: JSON.stringify({ roles: { R5105: 'caldicott_guardian' } }),
  }
  const error = (env: Record<string, string>) => {
    try {
      load(env)
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError)
      return (e as Error).message
    }
    throw new Error('expected a ConfigError')
  }

  it('is off without an issuer, and derives the redirect address from PUBLIC_URL', () => {
    expect(load({}).oidc).toBeNull()
    expect(load({}).passwordSignIn).toBe(true)
    const config = load(base).oidc!
    expect(config.redirectUrl.href).toBe('https://ledger.example.nhs.uk/auth/oidc/callback')
    expect(config.postLogoutRedirectUrl.href).toBe('https://ledger.example.nhs.uk/login?signedOut=1')
    expect(config.scopes).toBe('openid profile email nationalrbacaccess selectedrole')
    expect(config.allowInsecureRequests).toBe(false)
  })

  it('names the variable that is missing or wrong', () => {
    expect(error({ OIDC_CLIENT_ID: 'x' })).toMatch(/OIDC_ISSUER_URL must be set when OIDC_CLIENT_ID is set/)
    expect(error({ ...base, OIDC_CLIENT_ID: '' })).toMatch(/OIDC_CLIENT_ID must be set/)
    expect(error({ ...base, PUBLIC_URL: '' })).toMatch(/OIDC_REDIRECT_URL \(or PUBLIC_URL\) must be set/)
    expect(error({ ...base, OIDC_REDIRECT_URL: 'https://ledger.example.nhs.uk/callback' })).toMatch(/must end \/auth\/oidc\/callback/)
    expect(error({ ...base, OIDC_ISSUER_URL: 'http://cis2.example.nhs.uk' })).toMatch(/must be https:\/\//)
    expect(error({ ...base, OIDC_ROLE_MAP: '' })).toMatch(/OIDC_ROLE_MAP or OIDC_ROLE_MAP_FILE must be set/)
    expect(error({ ...base, OIDC_ROLE_MAP: '{"roles": {}}' })).toMatch(/must list at least one role code/)
    expect(error({ ...base, OIDC_ROLE_MAP: '{"roles": {"R5105": "superuser"}}' })).toMatch(/must map to one of caldicott_guardian/)
    expect(error({ ...base, OIDC_ROLE_MAP: '{"roles": {"R5105": "auditor"}, "default": "auditor"}' })).toMatch(/OIDC_ROLE_MAP/)
    expect(error({ ...base, OIDC_ROLE_MAP: 'nope' })).toMatch(/OIDC_ROLE_MAP is not JSON/)
    expect(error({ PASSWORD_SIGN_IN: 'off' })).toMatch(/PASSWORD_SIGN_IN=off needs OIDC_ISSUER_URL/)
  })

  it('reads the mapping from a file, and allows plain http only for a provider on this machine', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'role-map-')), 'roles.json')
    fs.writeFileSync(file, JSON.stringify({ roles: { R0001: 'auditor' }, organisations: { U12345: ['A81001'] } }))
    const { OIDC_ROLE_MAP: _unused, ...rest } = base
    const config = load({ ...rest, OIDC_ROLE_MAP_FILE: file, OIDC_ISSUER_URL: 'http://127.0.0.1:4000', PASSWORD_SIGN_IN: 'off' })
    expect(config.oidc!.roleMap).toEqual({ roles: { R0001: 'auditor' }, organisations: { U12345: ['A81001'] } })
    expect(config.oidc!.allowInsecureRequests).toBe(true)
    expect(config.passwordSignIn).toBe(false)
    expect(error({ ...rest, OIDC_ROLE_MAP_FILE: path.join(path.dirname(file), 'missing.json') })).toMatch(/cannot be read/)
  })
})
