// WebSocket client for /api/ws: token auth, automatic reconnect, handlers per event type.
import { ref } from 'vue'
import { getToken } from './http'

const handlers = new Map() // type → Set(fn); '*' receives everything
const pending = []
let socket = null
let retry = 0
let timer = null
let wanted = false

export const wsState = ref('closed') // closed | connecting | open

function url() {
  const proto = location.protocol === 'https:' ? 'wss' : 'ws'
  return `${proto}://${location.host}/api/ws?token=${encodeURIComponent(getToken() || '')}`
}

function dispatch(msg) {
  const type = msg?.type || msg?.event
  for (const key of [type, '*']) {
    const set = handlers.get(key)
    if (set) set.forEach((fn) => {
      try {
        fn(msg)
      } catch (e) {
        console.error('ws handler', e)
      }
    })
  }
}

export function connect() {
  wanted = true
  if (socket && (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING)) return
  if (!getToken()) return
  wsState.value = 'connecting'
  socket = new WebSocket(url())
  socket.onopen = () => {
    retry = 0
    wsState.value = 'open'
    while (pending.length) socket.send(pending.shift())
    dispatch({ type: 'ws.open' })
  }
  socket.onmessage = (ev) => {
    try {
      dispatch(JSON.parse(ev.data))
    } catch {
      /* ignore non-JSON frames */
    }
  }
  socket.onclose = (ev) => {
    wsState.value = 'closed'
    socket = null
    dispatch({ type: 'ws.close', code: ev.code })
    // 4401: the token was refused — reconnecting would not help until the user signs in again
    if (wanted && ev.code !== 4401) {
      retry = Math.min(retry + 1, 6)
      clearTimeout(timer)
      timer = setTimeout(connect, 500 * 2 ** retry)
    }
  }
  socket.onerror = () => socket && socket.close()
}

export function disconnect() {
  wanted = false
  clearTimeout(timer)
  if (socket) socket.close()
  socket = null
}

export function send(msg) {
  const data = JSON.stringify(msg)
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(data)
  else pending.push(data)
}

/** on('agent.state', fn) → unsubscribe function. */
export function on(type, fn) {
  if (!handlers.has(type)) handlers.set(type, new Set())
  handlers.get(type).add(fn)
  return () => handlers.get(type)?.delete(fn)
}
