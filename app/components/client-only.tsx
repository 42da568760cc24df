import { useEffect, useState, type ReactNode } from 'react'

/**
 * Renders `children` only after hydration, `fallback` before (on the server and in the first
 * client render, so both match). For parts that cannot render on the server, such as recharts 3.
 */
export function ClientOnly({ children, fallback = null }: { children: () => ReactNode; fallback?: ReactNode }) {
  const [hydrated, setHydrated] = useState(false)
  useEffect(() => setHydrated(true), [])
  return <>{hydrated ? children() : fallback}</>
}
