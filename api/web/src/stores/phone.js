// The agent's softphone: state from the controller's WebSocket events, commands through the API.
import { defineStore } from 'pinia'
import { api } from '../api/http'
import { command } from '../api/softphone'
import { on } from '../api/ws'
import { useAuth } from './auth'

export const usePhone = defineStore('phone', {
  state: () => ({
    state: 'logged_out',
    reason: null,
    since: null,
    call: null, // {call_uuid, caller, called, skill_group, ivr_path, past_tickets, connected_at, held}
    wrapUpUntil: null,
    wrapUpTotal: 30,
    busy: false,
    messages: [],
    transcript: [],
    listening: false,
  }),
  getters: {
    inCall: (s) => ['in_call', 'ringing'].includes(s.state) || !!s.call?.connected_at,
  },
  actions: {
    listen() {
      if (this.listening) return
      this.listening = true
      const mine = (m) => String(m.agent_number || '') === String(useAuth().me?.agent_number || '')
      on('agent_state', (m) => {
        if (!mine(m)) return
        this.state = m.state
        this.reason = m.reason
        this.since = m.at ? new Date(m.at).getTime() : Date.now()
        if (m.state === 'wrap_up') {
          this.wrapUpTotal = m.wrap_up_s || 30
          this.wrapUpUntil = m.until ? new Date(m.until).getTime() : Date.now() + this.wrapUpTotal * 1000
        }
        if (m.state === 'ready' || m.state === 'logged_out') this.wrapUpUntil = null
      })
      on('screen_pop', (m) => {
        if (!mine(m)) return
        this.call = { ...m, connected_at: null, held: false }
        this.transcript = []
      })
      on('call_connected', (m) => {
        if (!mine(m)) return
        this.call = { ...(this.call || {}), ...m, connected_at: Date.now(), held: false }
      })
      on('call_held', (m) => mine(m) && this.call && (this.call.held = true))
      on('call_retrieved', (m) => mine(m) && this.call && (this.call.held = false))
      on('call_ended', (m) => {
        if (mine(m) && this.call) this.call = { ...this.call, ended_at: Date.now() }
      })
      on('message', (m) => mine(m) && this.messages.unshift(m))
      // (re)connected: events may have been missed, so read the agent's state as stored
      on('ws.open', () => this.refresh())
      this.refresh()
      on('transcript', (m) => {
        if (this.call && m.call_uuid === this.call.call_uuid) this.transcript.push(m)
      })
    },
    async refresh() {
      const me = useAuth().me
      if (!me?.agent_number) return
      const a = await api.get(`/api/agents/${me.id}`, null, { silent: true }).catch(() => null)
      if (!a) return
      this.state = a.state
      this.reason = a.reason
      this.since = a.since ? new Date(a.since).getTime() : null
    },
    async run(action, body = {}) {
      this.busy = true
      try {
        const reply = await command(action, body)
        // the controller's reply already tells the new state; the WebSocket event confirms it
        if (reply?.state && reply.state !== this.state) {
          this.state = reply.state
          this.reason = reply.reason ?? null
          this.since = Date.now()
        }
        return reply
      } finally {
        this.busy = false
      }
    },
    clearCall() {
      this.call = null
      this.transcript = []
    },
  },
})
