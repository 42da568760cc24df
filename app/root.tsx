import { json, type LinksFunction, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import {
  Form,
  isRouteErrorResponse,
  Link,
  Links,
  Meta,
  Outlet,
  Scripts,
  ScrollRestoration,
  useLocation,
  useNavigation,
  useRouteError,
  useRouteLoaderData,
} from '@remix-run/react'
import { useEffect, type ReactNode } from 'react'
import { CsrfField } from './components/csrf-field.js'
import { useFormDrafts } from './components/form-drafts.js'
import { useScrollRegions } from './components/scroll-regions.js'
import { SessionTimeout } from './components/session-timeout.js'
import { SiteMenu } from './components/site-menu.js'
import { getViewer } from './lib/access.server.js'
import { USER_ROLE_LABELS } from '../core/labels.js'
import { getNotificationCount } from './lib/notifications.server.js'
import { useNonce } from './lib/nonce.js'
import { englandToday, periodPresets } from '../core/period-presets.js'
import { readPeriod } from './lib/period.server.js'
import { sessionSecondsLeft } from './lib/session.server.js'
import stylesUrl from './styles/app.css'

export const links: LinksFunction = () => [
  { rel: 'stylesheet', href: stylesUrl },
  { rel: 'icon', href: '/favicon.svg', type: 'image/svg+xml' },
]

export const meta: MetaFunction = () => [{ title: 'Sharing Ledger' }]

/** Who is signed in (for the menu) and the session's anti-forgery token (for forms). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const viewer = await getViewer(request, context)
  return json({
    viewer: viewer && {
      // Whose form drafts these are (app/components/form-drafts.ts).
      id: viewer.id,
      displayName: viewer.displayName,
      role: viewer.role,
      roleLabel: USER_ROLE_LABELS[viewer.role],
      practices: viewer.practices.map((p) => ({ odsCode: p.odsCode, name: p.name })),
    },
    csrf: viewer?.session.csrf ?? '',
    // What needs this user now (decision 028): one bounded count, shown in the header.
    notificationCount: viewer ? await getNotificationCount({ request, context }) : null,
    // Said at the From/To field by every page's filter bar (the pages fall back to every date).
    periodError: readPeriod(new URL(request.url)).error ?? null,
    // The filter bar's quick periods, from today in England (computed here, so server and browser agree).
    periodPresets: viewer ? periodPresets(englandToday()) : [],
    // For the warning before the session ends (whichever expiry comes first). Counted here, so
    // the browser's clock only measures from now, however wrong it is.
    sessionSecondsLeft: viewer ? sessionSecondsLeft(viewer.session) : null,
  })
}

/** The page frame, shared by every route and by the error page, so navigation never disappears. */
export function Layout({ children }: { children: ReactNode }) {
  const data = useRouteLoaderData<typeof loader>('root')
  const viewer = data?.viewer
  const nonce = useNonce()
  useScrollRegions()
  useRenderedMarker()
  const draftRestored = useFormDrafts(viewer?.id ?? null)
  return (
    <html lang="en-GB">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
      </head>
      <body>
        <a className="skip-link" href="#main-content">
          Skip to main content
        </a>
        <header className="site-header">
          <div className="container site-header__inner">
            <Link to="/" className="site-header__name">
              Sharing Ledger
            </Link>
            {viewer && <SiteMenu role={viewer.role} />}
            {viewer && data?.notificationCount != null && (
              <Link
                to="/notifications"
                className="site-header__notifications"
                aria-label={`Notifications (${data.notificationCount})`}
                data-testid="notification-count"
              >
                Notifications ({data.notificationCount})
              </Link>
            )}
            {viewer && (
              <Form method="post" action="/logout" className="site-header__user">
                <span>
                  {viewer.displayName} ({viewer.roleLabel})
                </span>
                <CsrfField />
                <button type="submit" className="button button--secondary">
                  Sign out
                </button>
              </Form>
            )}
          </div>
        </header>
        <main id="main-content" className="container" tabIndex={-1}>
          <div role="status" data-testid="draft-restored">
            {draftRestored && (
              <p className="notice">What you typed before signing in again has been put back. Check it, then send the form.</p>
            )}
          </div>
          {children}
        </main>
        {viewer && data?.sessionSecondsLeft != null && (
          <SessionTimeout secondsLeft={data.sessionSecondsLeft} stamp={data} owner={viewer.id} csrf={data.csrf} />
        )}
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  )
}

export default function App() {
  return <Outlet />
}

/**
 * Marks <html data-rendered="/path?query"> once the page for that address is hydrated and
 * rendered. Browser tests wait for it: the address changes a moment before a client-side
 * navigation renders, and typing into the old page's fields loses the words.
 */
function useRenderedMarker(): void {
  const location = useLocation()
  const navigation = useNavigation()
  useEffect(() => {
    if (navigation.state === 'idle') document.documentElement.dataset.rendered = location.pathname + location.search
  }, [location, navigation.state])
}

/** Says what went wrong in plain words; never shows a stack trace or a server error's text. */
export function ErrorBoundary() {
  const error = useRouteError()
  const { title, message } = describeError(error)
  return (
    <>
      <h1>{title}</h1>
      <p>{message}</p>
      <p>
        <Link to="/">Go to the overview</Link>
      </p>
    </>
  )
}

function describeError(error: unknown): { title: string; message: string } {
  if (isRouteErrorResponse(error)) {
    if (error.status === 404) return { title: 'Page not found', message: 'There is no page at this address.' }
    // Our own 4xx responses carry a sentence written for the person using the page.
    if (error.status < 500 && typeof error.data === 'string' && error.data) {
      return { title: error.status === 400 ? 'Check the request' : error.statusText || 'Request refused', message: error.data }
    }
    // The web process was too busy to start on it (server/request-handler.ts): nothing was done.
    if (error.status === 503 && typeof error.data === 'string' && error.data) {
      return { title: 'The service is busy', message: error.data }
    }
  }
  return {
    title: 'Something went wrong',
    message: 'The page could not be shown. Try again in a moment; if it keeps happening, tell your administrator.',
  }
}
