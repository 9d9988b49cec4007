// Agent and supervisor call-control commands (the controller carries them out; results come back over
// the WebSocket). The route is read from /openapi.json so the desktop follows the API as published.
import { api } from './http'

let routes = null
async function resolve() {
  routes ||= fetch('/openapi.json')
    .then((r) => r.json())
    .then((spec) => {
      const posts = Object.entries(spec.paths || {}).filter(([, ops]) => ops.post).map(([p]) => p)
      // the agent's answer command: a POST path ending in /answer outside tickets and knowledge questions
      const answer = posts.find((p) => /\/answer$/.test(p) && !/tickets|questions/.test(p))
      return { base: answer ? answer.replace(/\/answer$/, '') : null, posts }
    })
    .catch(() => ({ base: null, posts: [] }))
  return routes
}

export async function available() {
  return !!(await resolve()).base
}

/** command('ready'), command('not-ready', {reason}), command('transfer', {target_type, target}) … */
export async function command(action, body = {}, { agentNumber } = {}) {
  const { base, posts } = await resolve()
  if (!base) throw new Error('话务控制接口尚未上线')
  // the published path for this action, whichever word separator it uses; else a generic {action} route
  const names = [action, action.replace(/-/g, '_'), action.replace(/_/g, '-')]
  let path = names.map((n) => `${base}/${n}`).find((p) => posts.includes(p))
  if (!path) {
    const generic = posts.find((p) => p.startsWith(base + '/{') && p.endsWith('}') && p.slice(base.length + 1).split('/').length === 1)
    path = generic ? generic.replace(/\{[^}]+\}$/, action.replace(/-/g, '_')) : `${base}/${action}`
  }
  const url = path.replace(/\{[a-z_]*agent[a-z_]*\}/, encodeURIComponent(agentNumber || body.agent_number || ''))
  return api.post(url, { ...body, agent_number: body.agent_number ?? agentNumber })
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
