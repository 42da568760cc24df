import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import { formatCount } from '../../lib/format.js'
import { ClientOnly } from '../client-only.js'

/** Counts over time. Drawn after hydration and hidden from screen readers: a table sits beside it. */
export function TrendChart({ data, name }: { data: Array<{ label: string; value: number }>; name: string }) {
  return (
    <div className="chart" style={{ height: 260 }} aria-hidden="true">
      <ClientOnly>
        {() => (
          <ResponsiveContainer width="100%" height="100%">
            <LineChart accessibilityLayer={false} data={data} margin={{ top: 8, right: 24, bottom: 8, left: 8 }}>
              <CartesianGrid stroke="#d8dde0" />
              <XAxis dataKey="label" stroke="#4c6272" tick={{ fontSize: 12 }} minTickGap={24} />
              <YAxis allowDecimals={false} tickFormatter={formatCount} stroke="#4c6272" />
              <Tooltip formatter={(v) => formatCount(Number(v))} />
              <Line type="monotone" dataKey="value" name={name} stroke="#005eb8" strokeWidth={2} dot={false} isAnimationActive={false} />
            </LineChart>
          </ResponsiveContainer>
        )}
      </ClientOnly>
    </div>
  )
}
