import { useLocation, useNavigation } from '@remix-run/react'
import { useEffect } from 'react'

/**
 * WCAG 1.4.10 (reflow): a wide table scrolls inside its own `.table-scroll` box instead of the
 * page. When a box really overflows it becomes a named, keyboard-focusable region (so arrow keys
 * can scroll it) and gets the `--overflowing` class, which draws the visible cue. Done in one
 * place after each render rather than in every table, because whether a table overflows depends
 * on the screen, which the server cannot know.
 */
export function useScrollRegions(): void {
  const location = useLocation()
  const navigation = useNavigation()
  useEffect(() => {
    const mark = () => {
      document.querySelectorAll<HTMLElement>('.table-scroll').forEach((box, index) => {
        const overflowing = box.scrollWidth > box.clientWidth + 1
        box.classList.toggle('table-scroll--overflowing', overflowing)
        if (overflowing) {
          const caption = box.querySelector('caption')?.textContent?.trim()
          box.setAttribute('role', 'region')
          box.setAttribute('aria-label', `${caption || `Table ${index + 1}`} (scrolls sideways)`)
          box.tabIndex = 0
        } else if (box.getAttribute('role') === 'region') {
          box.removeAttribute('role')
          box.removeAttribute('aria-label')
          box.removeAttribute('tabindex')
        }
      })
    }
    mark()
    window.addEventListener('resize', mark)
    return () => window.removeEventListener('resize', mark)
  }, [location, navigation.state])
}
