import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import { formatCount } from '../../../core/format.js'
import { ClientOnly } from '../client-only.js'

export interface BarDatum {
  label: string
  value: number
}

const ROW_HEIGHT = 34
const AXIS_HEIGHT = 40
const LABEL_WIDTH = 260
const MAX_LABEL_CHARS = 34

// On a phone the labels get less room, so the bars keep some.
const NARROW_LABEL_WIDTH = 130
const NARROW_LABEL_CHARS = 16

const shorten = (label: string, max: number) => (label.length > max ? `${label.slice(0, max - 1)}…` : label)

/**
 * One bar per row, largest first. Drawn only in the browser (recharts 3 renders nothing on the
 * server) and hidden from screen readers: every chart sits beside a table with the same numbers.
 */
export function HorizontalBarChart({ data, name }: { data: BarDatum[]; name: string }) {
  const height = data.length * ROW_HEIGHT + AXIS_HEIGHT
  return (
    <div className="chart" style={{ height }} aria-hidden="true">
      <ClientOnly>
        {() => {
          const narrow = window.matchMedia('(max-width: 40rem)').matches
          const maxChars = narrow ? NARROW_LABEL_CHARS : MAX_LABEL_CHARS
          return (
            <ResponsiveContainer width="100%" height="100%">
              <BarChart accessibilityLayer={false} data={data} layout="vertical" margin={{ top: 4, right: 24, bottom: 4, left: 4 }}>
                <CartesianGrid horizontal={false} stroke="#d8dde0" />
                <XAxis type="number" allowDecimals={false} tickFormatter={formatCount} stroke="#4c6272" />
                <YAxis
                  type="category"
                  dataKey="label"
                  width={narrow ? NARROW_LABEL_WIDTH : LABEL_WIDTH}
                  tickFormatter={(label: string) => shorten(label, maxChars)}
                  interval={0}
                  stroke="#4c6272"
                  tick={{ fontSize: 13, fill: '#212b32' }}
                />
                <Tooltip formatter={(v) => formatCount(Number(v))} />
                <Bar dataKey="value" name={name} fill="#005eb8" isAnimationActive={false} />
              </BarChart>
            </ResponsiveContainer>
          )
        }}
      </ClientOnly>
    </div>
  )
}
