import { computed, onBeforeUnmount, ref } from 'vue'
import { api } from '../api/http'
import { on, wsState } from '../api/ws'

/** Live agents, queues and ticket warnings for the monitor and the wallboard (WebSocket, polling as fallback). */
export function useCallCentre() {
  const agents = ref([])
  const queues = ref([])
  const groupNames = ref({})
  const monitor = ref(null)
  const now = ref(Date.now())

  const count = (...states) => agents.value.filter((a) => states.includes(a.state)).length
  const totals = computed(() => [
    { key: 'logged_in', label: '签入', value: agents.value.filter((a) => a.state !== 'logged_out').length },
    { key: 'ready', label: '空闲', value: count('ready') },
    { key: 'not_ready', label: '置忙', value: count('not_ready') },
    { key: 'in_call', label: '通话中', value: count('in_call', 'ringing') },
    { key: 'wrap_up', label: '话后', value: count('wrap_up') },
    { key: 'waiting', label: '排队', value: queues.value.reduce((n, q) => n + (q.waiting || 0), 0) },
  ])

  async function loadAgents() {
    const out = await api.get('/api/agents', { size: 200 }, { silent: true }).catch(() => null)
    if (out) agents.value = out.items.filter((a) => a.agent_number)
  }
  async function loadMonitor() {
    monitor.value = await api.get('/api/reports/ticket-monitor', null, { silent: true }).catch(() => null)
  }
  api.get('/api/skill-groups', null, { silent: true }).then((gs) => (groupNames.value = Object.fromEntries(gs.map((g) => [g.code, g.name])))).catch(() => {})

  const offs = [
    on('agent_state', (m) => {
      const a = agents.value.find((x) => x.agent_number === m.agent_number)
      if (a) Object.assign(a, { state: m.state, reason: m.reason, since: m.at })
      else loadAgents()
    }),
    on('queues', (m) => (queues.value = m.groups || [])),
    on('ws.open', loadAgents),
  ]
  loadAgents()
  loadMonitor()
  const tick = setInterval(() => (now.value = Date.now()), 1000)
  const poll = setInterval(() => {
    if (wsState.value !== 'open') loadAgents()
    loadMonitor()
  }, 15000)
  onBeforeUnmount(() => {
    offs.forEach((off) => off())
    clearInterval(tick)
    clearInterval(poll)
  })

  /** The red/yellow/normal bar chart of open tickets by state. */
  function ticketChart(dark = false) {
    const rows = (monitor.value?.by_state || []).filter((r) => r.total > 0)
    const text = dark ? '#c9d3e6' : '#5b6b82'
    return {
      tooltip: { trigger: 'axis' },
      legend: { data: ['正常', '黄灯', '红灯'], bottom: 0, textStyle: { color: text } },
      grid: { left: 84, right: 12, top: 10, bottom: 48 },
      xAxis: { type: 'value', axisLabel: { color: text }, splitLine: { lineStyle: { color: dark ? '#1e3262' : '#e6e9f0' } } },
      yAxis: { type: 'category', data: rows.map((r) => r.label), axisLabel: { color: text } },
      series: [
        { name: '正常', type: 'bar', stack: 't', data: rows.map((r) => r.none), itemStyle: { color: '#32a852' } },
        { name: '黄灯', type: 'bar', stack: 't', data: rows.map((r) => r.yellow), itemStyle: { color: '#f2b01e' } },
        { name: '红灯', type: 'bar', stack: 't', data: rows.map((r) => r.red), itemStyle: { color: '#e0412f' } },
      ],
    }
  }
  const pct = (v) => (v == null ? '—' : `${Math.round(v * (v <= 1 ? 100 : 1))}%`)
  const answerRate = (q) => (q.handled + q.abandoned ? q.handled / (q.handled + q.abandoned) : null)

  return { agents, queues, groupNames, monitor, now, totals, ticketChart, pct, answerRate, loadAgents }
}
