import { useNavigate } from '@remix-run/react'
import { useRef, type MouseEvent } from 'react'
import { HorizontalBarChart, type BarDatum } from './horizontal-bar-chart.js'

/**
 * A HorizontalBarChart whose bars (and their axis labels) open a page: a drill-down for mouse
 * and touch users. The chart stays hidden from screen readers and out of the tab order, so the
 * table beside it must carry the same links; this is a shortcut, never the only way.
 * Clicks are caught on the wrapper and matched to a bar by position, since every bar and every
 * category tick is drawn in data order.
 */
export function LinkedBarChart({ data, name }: { data: Array<BarDatum & { href: string }>; name: string }) {
  const navigate = useNavigate()
  const wrapper = useRef<HTMLDivElement>(null)
  const open = (event: MouseEvent<HTMLDivElement>) => {
    const root = wrapper.current
    const target = event.target instanceof Element ? event.target : null
    if (!root || !target) return
    for (const selector of ['.recharts-bar-rectangle', '.recharts-yAxis .recharts-cartesian-axis-tick']) {
      const hit = target.closest(selector)
      if (!hit) continue
      const datum = data[Array.from(root.querySelectorAll(selector)).indexOf(hit)]
      if (datum) navigate(datum.href)
      return
    }
  }
  return (
    // No key handler on purpose: keyboard users follow the same links in the table.
    <div ref={wrapper} className="linked-bar-chart" onClick={open}>
      <HorizontalBarChart data={data} name={name} />
    </div>
  )
}
