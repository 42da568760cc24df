import type { RoleMap } from '../config/oidc.js'
import type { Role } from '../db/queries/users.js'
import { USER_ROLE_LABELS } from './labels.js'

/**
 * From an NHS CIS2 ID token (or userinfo) to this product's role and practices (decision 038).
 * CIS2 sends every role profile of the person in `nhsid_nrbac_roles` (each with its
 * person_roleid, the organisation's ODS code and the job role code) and the one they chose
 * for this session in `selected_roleid`. Only the selected profile counts: a person who is a
 * Caldicott guardian at one practice and a receptionist at another is whichever they chose.
 * Nothing here guesses: an unmapped role or an unknown organisation is refused with a sentence
 * saying why, never given a default role.
 */

export interface Cis2RoleProfile {
  personRoleId: string
  orgCode: string
  roleCode: string
  roleName: string | null
}

export type Cis2Refusal = 'no_roles' | 'no_selected_role' | 'unmapped_role' | 'unknown_organisation'

export type Cis2Mapping =
  | { ok: true; role: Role; practiceOds: string[]; profile: Cis2RoleProfile }
  | { ok: false; reason: Cis2Refusal; message: string; profile: Cis2RoleProfile | null }

const text = (v: unknown, max = 200): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim().slice(0, max) : null)

/**
 * CIS2 sends a role's name with its staff group and sub-group, each quoted:
 * "\"Admin and Clerical\":\"Management - Health\":\"Privacy Officer\"". The job role's own name is the last.
 */
function roleName(v: unknown): string | null {
  const whole = text(v)
  if (!whole) return null
  return text(
    whole
      .split('":"')
      .pop()!
      .replace(/^"+|"+$/g, ''),
  )
}

/** The role profiles the claims carry (an array, or the same as a JSON string), malformed entries left out. */
export function roleProfiles(claims: Record<string, unknown>): Cis2RoleProfile[] {
  let raw = claims.nhsid_nrbac_roles
  if (typeof raw === 'string') {
    try {
      raw = JSON.parse(raw)
    } catch {
      return []
    }
  }
  if (!Array.isArray(raw)) return []
  const out: Cis2RoleProfile[] = []
  for (const entry of raw.slice(0, 200)) {
    if (!entry || typeof entry !== 'object') continue
    const e = entry as Record<string, unknown>
    const personRoleId = text(e.person_roleid, 100)
    const orgCode = text(e.org_code, 20)
    const roleCode = text(e.role_code, 100)
    if (!personRoleId || !orgCode || !roleCode) continue
    out.push({ personRoleId, orgCode: orgCode.toUpperCase(), roleCode: roleCode.toUpperCase(), roleName: roleName(e.role_name) })
  }
  return out
}

/** The product role for a CIS2 role code: the whole code first ("S8000:G8000:R8000"), then its job role ("R8000"). */
export function mappedRole(roleMap: RoleMap, roleCode: string): Role | null {
  const code = roleCode.toUpperCase()
  const jobRole = code.split(':').pop()!
  return roleMap.roles[code] ?? roleMap.roles[jobRole] ?? null
}

/**
 * The practices an organisation's staff see: the practice itself when the ODS code is a
 * practice the ledger knows, else the practices the mapping lists for it (those the ledger knows).
 */
export function mappedPractices(roleMap: RoleMap, orgCode: string, knownPracticeOds: ReadonlySet<string>): string[] {
  const code = orgCode.toUpperCase()
  if (knownPracticeOds.has(code)) return [code]
  return (roleMap.organisations[code] ?? []).filter((ods) => knownPracticeOds.has(ods))
}

const describe = (p: Cis2RoleProfile) => `${p.roleName ? `${p.roleName} (${p.roleCode})` : p.roleCode} at organisation ${p.orgCode}`

export function mapCis2Claims(claims: Record<string, unknown>, roleMap: RoleMap, knownPracticeOds: ReadonlySet<string>): Cis2Mapping {
  const profiles = roleProfiles(claims)
  if (profiles.length === 0) {
    return {
      ok: false,
      reason: 'no_roles',
      profile: null,
      message:
        'NHS Care Identity did not send a role for you, and Sharing Ledger decides what you may see from your role and organisation. ' +
        'Ask your Registration Authority to check the roles on your account.',
    }
  }
  const selectedId = text(claims.selected_roleid, 100)
  const profile = selectedId ? profiles.find((p) => p.personRoleId === selectedId) : profiles.length === 1 ? profiles[0] : undefined
  if (!profile) {
    return {
      ok: false,
      reason: 'no_selected_role',
      profile: null,
      message: selectedId
        ? 'The role you selected in NHS Care Identity is not among the roles it sent for you. Sign in again and choose your role.'
        : 'You have more than one role in NHS Care Identity and none was selected for this session. Sign in again and choose the role you are working in.',
    }
  }
  const role = mappedRole(roleMap, profile.roleCode)
  if (!role) {
    return {
      ok: false,
      reason: 'unmapped_role',
      profile,
      message:
        `Your selected role, ${describe(profile)}, does not give access to Sharing Ledger: only the roles its administrator has ` +
        `mapped (to ${Object.values(USER_ROLE_LABELS).join(', ')}) are let in, and no role is given by default. ` +
        'If you should have access, ask the administrator to map your role, or sign in again with another of your roles.',
    }
  }
  const practiceOds = mappedPractices(roleMap, profile.orgCode, knownPracticeOds)
  if (practiceOds.length === 0) {
    return {
      ok: false,
      reason: 'unknown_organisation',
      profile,
      message:
        `Your selected role is at organisation ${profile.orgCode}, which is not a practice Sharing Ledger holds and is not mapped to any. ` +
        'If you should have access, ask the administrator to add the practice or map your organisation, or sign in again with another of your roles.',
    }
  }
  return { ok: true, role, practiceOds, profile }
}
