import { z } from 'zod'
import { createUser, findUserByEmail, type UserRow } from '../../db/queries/users.js'
import { Email, issuesByField, Password, requiredText, Role } from '../inputs.js'
import { hasErrors, refused, writeOnce, type AdminContext, type AdminResult } from './operation.js'
import { knownPractices } from './practices.js'

/** Adding a user, from the web page or `ledger user add`. */
export const AddUserSchema = z.object({
  email: Email,
  // The web form asks for a name; the CLI may leave it out (the e-mail address is shown instead).
  displayName: requiredText(120, 'Enter the name people will see', 'The name is longer than 120 characters').optional(),
  role: Role,
  password: Password,
  /** ODS codes of the practices the user works for. */
  practices: z.array(z.string()).default([]),
})
/** What was typed: text, checked by AddUserSchema. */
export interface AddUserInput {
  email: string
  displayName?: string
  role: string
  password: string
  practices: string[]
}

export async function addUser(ctx: AdminContext, input: AddUserInput): Promise<AdminResult<{ user: UserRow; practiceOds: string[] }>> {
  const parsed = AddUserSchema.safeParse(input)
  const errors = parsed.success ? {} : issuesByField(parsed.error)
  const chosen = await knownPractices(ctx.db, input.practices ?? [])
  if ('error' in chosen) errors.practices ??= chosen.error
  // An administrator sees every practice by role; anyone else sees only what they are given.
  else {
    const role = Role.safeParse(input.role)
    if (role.success && role.data !== 'admin' && chosen.practices.length === 0)
      errors.practices ??= 'Choose at least one practice this user works for'
  }
  const email = Email.safeParse(input.email)
  if (email.success && (await findUserByEmail(ctx.db, email.data))) errors.email ??= 'A user with this e-mail address already exists'
  if (!parsed.success || 'error' in chosen || hasErrors(errors)) return refused(errors)

  const u = parsed.data
  const practices = u.role === 'admin' ? [] : chosen.practices
  return writeOnce(ctx, async (trx, log) => {
    const practiceIds = practices.map((p) => p.id)
    const user = await createUser(trx, { email: u.email, displayName: u.displayName, password: u.password, role: u.role, practiceIds })
    await log('user_add', {
      practiceIds,
      target: `user:${user.id}`,
      detail: { email: user.email, role: user.role, practices: u.role === 'admin' ? 'all' : practices.map((p) => p.ods_code) },
    })
    return { user, practiceOds: practices.map((p) => p.ods_code) }
  })
}
