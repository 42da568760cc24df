import { createContext, useContext } from 'react'

/**
 * This response's content-security-policy nonce (server/security-headers.ts), for the inline
 * scripts Remix writes into the page. Only the server render knows it; in the browser it is
 * not needed (scripts added after load are not inline) and browsers hide it from the DOM anyway.
 */
export const NonceContext = createContext<string | undefined>(undefined)

export const useNonce = () => useContext(NonceContext)
