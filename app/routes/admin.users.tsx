import { json, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData, useLocation, useNavigation } from '@remix-run/react'
import { AdminNav } from '../components/admin-nav.js'
import { DataTable } from '../components/data-table.js'
import { CsrfField } from '../components/csrf-field.js'
import { ErrorSummary, FieldError, fieldProps, groupProps, useFormResetKey } from '../components/form-errors.js'
import { getUsersPage, usersAction } from '../lib/admin/users.server.js'
import { formatDateTime } from '../../core/format.js'
import { SIGN_IN_METHOD_LABELS } from '../../core/labels.js'

export const meta: MetaFunction = () => [{ title: 'Users – Administration – Sharing Ledger' }]

export async function loader(args: LoaderFunctionArgs) {
  return json(await getUsersPage(args))
}

export const action = (args: ActionFunctionArgs) => usersAction(args)

const FIELD_IDS = {
  email: 'user-email',
  displayName: 'user-name',
  role: 'user-role',
  practices: 'user-practices',
  password: 'user-password',
}

export default function AdminUsers() {
  const { users, practices, roles, minPasswordLength, notice, viewerId } = useLoaderData<typeof loader>()
  const failed = useActionData<typeof action>()
  const busy = useNavigation().state === 'submitting'
  // A new key after each successful add (the redirect is a new location) empties the form.
  const formKey = useFormResetKey()
  const location = useLocation()
  const addErrors = failed?.intent === 'add' ? failed.errors : undefined
  const values = failed?.intent === 'add' ? failed.values : {}
  const value = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : '')
  const chosenPractices = new Set([values.practices ?? []].flat())
  const rowError = failed && failed.intent !== 'add' ? failed.errors.form : undefined
  return (
    <>
      <h1>Users</h1>
      <AdminNav />
      <div role="status" aria-live="polite">
        {notice && <p className="notice">{notice}</p>}
      </div>
      <section className="panel" aria-labelledby="users-heading">
        <h2 id="users-heading">People who can sign in</h2>
        {rowError && (
          <div className="error-summary" role="alert">
            {rowError}
          </div>
        )}
        <p>
          <Link to="/admin/users.csv" reloadDocument>
            Download the user list as CSV
          </Link>
        </p>
        <DataTable
          caption="Users, their roles and practices"
          rows={users}
          rowKey={(u) => u.id}
          rowProps={(u) => ({ 'data-testid': `user-${u.email}` })}
          columns={[
            {
              header: 'User',
              rowHeader: true,
              cell: (u) => (
                <>
                  {u.displayName}
                  <div className="hint">{u.email}</div>
                  <div className="hint">{SIGN_IN_METHOD_LABELS[u.signsInWith]}</div>
                </>
              ),
            },
            { header: 'Role', cell: (u) => roles.find((r) => r.value === u.role)?.label ?? u.role },
            {
              header: 'Practices',
              cell: (u) =>
                u.role === 'admin' ? 'All practices' : u.practices.length ? u.practices.map((p) => p.odsCode).join(', ') : 'None',
            },
            {
              header: 'Status',
              cell: (u) =>
                u.disabledAt ? (
                  <span className="status--failed">Disabled {formatDateTime(u.disabledAt)}</span>
                ) : u.lockedUntil && new Date(u.lockedUntil) > new Date() ? (
                  'Locked after failed sign-ins'
                ) : (
                  'Active'
                ),
            },
            {
              header: 'Change',
              cell: (u) =>
                u.id === viewerId ? (
                  <span className="hint">You</span>
                ) : (
                  <Form method="post">
                    <CsrfField />
                    <input type="hidden" name="intent" value={u.disabledAt ? 'enable' : 'disable'} />
                    <input type="hidden" name="userId" value={u.id} />
                    <button type="submit" className={u.disabledAt ? 'button button--small' : 'button button--small button--warning'}>
                      {u.disabledAt ? 'Enable' : 'Disable'}
                      <span className="visually-hidden"> {u.email}</span>
                    </button>
                  </Form>
                ),
            },
          ]}
        />
      </section>
      <section className="panel" aria-labelledby="add-user-heading">
        <h2 id="add-user-heading">Add a user</h2>
        <ErrorSummary form="user" errors={addErrors} fieldIds={FIELD_IDS} />
        <Form method="post" className="stack admin-form" noValidate key={formKey}>
          <CsrfField />
          <input type="hidden" name="intent" value="add" />
          <div>
            <label htmlFor={FIELD_IDS.email}>E-mail address</label>
            <FieldError form="user" field="email" errors={addErrors} />
            <input
              id={FIELD_IDS.email}
              name="email"
              type="email"
              autoComplete="off"
              defaultValue={value('email')}
              {...fieldProps('user', 'email', addErrors)}
            />
          </div>
          <div>
            <label htmlFor={FIELD_IDS.displayName}>Name</label>
            <FieldError form="user" field="displayName" errors={addErrors} />
            <input
              id={FIELD_IDS.displayName}
              name="displayName"
              type="text"
              autoComplete="off"
              defaultValue={value('displayName')}
              {...fieldProps('user', 'displayName', addErrors)}
            />
          </div>
          <div>
            <label htmlFor={FIELD_IDS.role}>Role</label>
            <FieldError form="user" field="role" errors={addErrors} />
            <select id={FIELD_IDS.role} name="role" defaultValue={value('role')} {...fieldProps('user', 'role', addErrors)}>
              <option value="">Choose a role</option>
              {roles.map((r) => (
                <option key={r.value} value={r.value}>
                  {r.label}
                </option>
              ))}
            </select>
          </div>
          <fieldset id={FIELD_IDS.practices} tabIndex={-1} {...groupProps('user', 'practices', addErrors, 'user-practices-hint')}>
            <legend>Practices</legend>
            <p className="hint" id="user-practices-hint">
              The practices whose records this user may see. Administrators see every practice whatever is ticked here.
            </p>
            <FieldError form="user" field="practices" errors={addErrors} />
            {practices.length === 0 ? (
              <p>No practices yet: add a source for a practice on the Sources page first.</p>
            ) : (
              <div className="checkboxes">
                {practices.map((p) => (
                  <div key={p.id}>
                    <input
                      type="checkbox"
                      id={`user-practice-${p.id}`}
                      name="practices"
                      value={p.id}
                      defaultChecked={chosenPractices.has(String(p.id))}
                    />
                    <label htmlFor={`user-practice-${p.id}`}>
                      {p.name} ({p.odsCode})
                    </label>
                  </div>
                ))}
              </div>
            )}
          </fieldset>
          <div>
            <label htmlFor={FIELD_IDS.password}>Initial password</label>
            <p className="hint" id="user-password-hint">
              At least {minPasswordLength} characters. Give it to the user in person or by phone, not by e-mail.
            </p>
            <FieldError form="user" field="password" errors={addErrors} />
            <input
              // A password never comes back from the server: a new input per submission empties it.
              key={location.key}
              id={FIELD_IDS.password}
              name="password"
              type="password"
              autoComplete="new-password"
              minLength={minPasswordLength}
              {...fieldProps('user', 'password', addErrors, 'user-password-hint')}
            />
          </div>
          <button type="submit" className="button" disabled={busy}>
            Add user
          </button>
        </Form>
      </section>
    </>
  )
}
