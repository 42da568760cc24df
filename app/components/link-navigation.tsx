import { useNavigate } from '@remix-run/react'
import { useCallback, type MouseEvent } from 'react'

/**
 * Client-side navigation for plain `<a href>` links inside an element:
 * `<section onClick={useLinkNavigation()}>`. Pages whose tables link every name and number
 * (hundreds of links) render them as plain anchors, which cost a small fraction of a `<Link>`
 * to render on the server; this one handler gives them what `<Link>` gives in the browser,
 * navigation without reloading the document. Without JavaScript they are ordinary links.
 *
 * Only absolute same-origin paths are handled. A link that must load a new document (a CSV
 * download) stays a `<Link reloadDocument>` or carries `download`, and a link that opens
 * elsewhere carries `target`: both are left to the browser.
 */
export function useLinkNavigation(): (event: MouseEvent<HTMLElement>) => void {
  const navigate = useNavigate()
  return useCallback(
    (event: MouseEvent<HTMLElement>) => {
      if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.altKey || event.ctrlKey || event.shiftKey) return
      const anchor = event.target instanceof Element ? event.target.closest('a') : null
      if (!anchor || !event.currentTarget.contains(anchor)) return
      const href = anchor.getAttribute('href')
      if (!href || !href.startsWith('/') || href.startsWith('//')) return
      if ((anchor.target && anchor.target !== '_self') || anchor.hasAttribute('download') || anchor.hasAttribute('data-reload-document'))
        return
      event.preventDefault()
      navigate(href)
    },
    [navigate],
  )
}
