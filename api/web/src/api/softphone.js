// Agent and supervisor call-control commands: the controller carries them out; their effects come back
// over the WebSocket (agent_state, screen_pop, call_connected, call_held, call_retrieved, call_ended, queues).
import { api } from './http'

const BASE = '/api/softphone'
let published = null

/** Whether the call-control API is deployed (it needs the switch controller and Redis behind it). */
export async function available() {
  published ||= fetch('/openapi.json')
    .then((r) => r.json())
    .then((spec) => !!spec.paths?.[`${BASE}/answer`])
    .catch(() => false)
  return published
}

/**
 * command('ready'), command('not-ready', {reason}), command('transfer', {target_type, target}),
 * command('supervise', {agent_number, extension, mode}) … — the agent acts for themselves unless
 * `agent_number` is given (supervisors).
 */
export function command(action, body = {}) {
  return api.post(`${BASE}/${action}`, body)
}

export const NOT_READY_REASONS = ['小休', '用餐', '会议', '培训', '整理工单', '其他']
export const AGENT_STATES = {
  logged_out: { label: '未签入', tag: 'info' },
  ready: { label: '空闲', tag: 'success' },
  not_ready: { label: '置忙', tag: 'warning' },
  ringing: { label: '振铃', tag: 'danger' },
  in_call: { label: '通话中', tag: 'primary' },
  wrap_up: { label: '话后处理', tag: 'warning' },
  held: { label: '保持中', tag: 'warning' },
}
// Guangxi's other cities: a transfer to their 12345 dials <area code>12345 (some cities share a code)
export const CITIES = [
  ['柳州', '0772'], ['桂林', '0773'], ['梧州', '0774'], ['北海', '0779'], ['防城港', '0770'], ['钦州', '0777'],
  ['贵港', '0775'], ['玉林', '0775'], ['百色', '0776'], ['贺州', '0774'], ['河池', '0778'], ['来宾', '0772'], ['崇左', '0771'],
].map(([name, code]) => ({ name, code }))
