// Adding a user, a source or an agreement: one input schema and one operation each, called by
// the web pages (app/lib/admin/) and the CLI (cli/commands/) alike (docs/decisions/031).
export { addUser, AddUserSchema, type AddUserInput } from './add-user.js'
export { addSource, AddSourceSchema, type AddSourceInput } from './add-source.js'
export { addAgreement, AddAgreementSchema, type AddAgreementInput, type AddedAgreement } from './add-agreement.js'
export type { AdminContext, AdminResult, FieldErrors, FindingsChange } from './operation.js'
