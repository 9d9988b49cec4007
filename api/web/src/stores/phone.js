// The agent's softphone: state from the controller's WebSocket events, commands through the API.
// After a page reload or a WebSocket reconnect the state (and the current call) is read back from
// GET /api/softphone/me, which asks the controller itself.
import { defineStore } from 'pinia'
import { api } from '../api/http'
import { command } from '../api/softphone'
import { on } from '../api/ws'
import { useAuth } from './auth'

const ms = (iso) => (iso ? new Date(iso).getTime() : null)

export const usePhone = defineStore('phone', {
  state: () => ({
    state: 'logged_out',
    reason: null,
    since: null,
    extension: null,
    call: null, // {call_uuid, caller, called, skill_group, ivr_path, past_tickets, connected_at, held, conference}
    consult: null, // {target} while a consult is under way (the caller waits with music)
    wrapUpUntil: null,
    wrapUpTotal: 30,
    busy: false,
    messages: [],
    unread: 0,
    transcript: [],
    listening: false,
    changes: 0, // counts state changes from events and commands, so a slower /me reply cannot undo them
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
        this.changes += 1
        this.state = m.state
        this.reason = m.reason
        this.since = ms(m.at) || Date.now()
        if (m.state === 'wrap_up') {
          this.wrapUpTotal = m.wrap_up_s || this.wrapUpTotal
          this.wrapUpUntil = ms(m.until) || Date.now() + this.wrapUpTotal * 1000
          this.consult = null
          this.refresh() // the controller knows the group's wrap-up time
        }
        if (m.state === 'ready' || m.state === 'logged_out') this.wrapUpUntil = null
        // put into a call without a screen pop (consulted, three-way, callback): ask which call it is
        if (m.state === 'in_call' && (!this.call || this.call.ended_at)) this.refresh()
      })
      on('screen_pop', (m) => {
        if (!mine(m)) return
        this.call = { ...m, connected_at: null, held: false }
        this.consult = null
        this.transcript = []
      })
      on('call_connected', (m) => {
        if (!mine(m)) return
        this.call = { ...(this.call || {}), ...m, connected_at: Date.now(), held: false }
      })
      on('call_held', (m) => mine(m) && this.call && (this.call.held = true))
      on('call_retrieved', (m) => {
        if (!mine(m) || !this.call) return
        // also the end of a consult (cancelled, or the consulted agent hung up): the caller is back
        this.call = { ...this.call, held: false, conference: null }
        this.consult = null
      })
      // 完成转接 by another agent: this agent now has the caller
      on('call_transferred', (m) => {
        if (!mine(m)) return
        this.call = { ...m, connected_at: Date.now(), held: false, conference: null }
        this.consult = null
        this.transcript = []
      })
      on('call_ended', (m) => {
        if (mine(m) && this.call) this.call = { ...this.call, ended_at: Date.now() }
        if (mine(m)) this.consult = null
      })
      on('message', (m) => {
        if (!mine(m)) return
        this.messages.unshift({ ...m, received_at: Date.now() })
        this.unread += 1
      })
      // (re)connected: events may have been missed, so read the agent's state from the controller
      on('ws.open', () => this.refresh())
      this.refresh()
      on('transcript', (m) => {
        if (!this.call || m.call_uuid !== this.call.call_uuid) return
        // an interim line is replaced by the next event of the same utterance
        const i = this.transcript.findIndex((l) => l.utterance != null && l.utterance === m.utterance)
        if (i >= 0) this.transcript.splice(i, 1, m)
        else this.transcript.push(m)
      })
    },
    async refresh() {
      const me = useAuth().me
      if (!me?.agent_number) return
      const seen = this.changes
      const s = await api.get('/api/softphone/me', null, { silent: true }).catch(() => null)
      if (seen !== this.changes) return // an event or a command's reply came in meanwhile: it is newer
      if (s) return this.restore(s)
      // no controller answering: the state as last stored is better than nothing
      const a = await api.get(`/api/agents/${me.id}`, null, { silent: true }).catch(() => null)
      if (!a || seen !== this.changes) return
      this.state = a.state
      this.reason = a.reason
      this.since = ms(a.since)
    },
    /** Apply the controller's view of this agent (GET /api/softphone/me). */
    restore(s) {
      this.state = s.state
      this.reason = s.reason
      this.since = ms(s.since)
      this.extension = s.extension
      if (s.state === 'wrap_up' && s.wrap_up_until) {
        this.wrapUpUntil = ms(s.wrap_up_until)
        this.wrapUpTotal = s.wrap_up_s || this.wrapUpTotal
      } else if (s.state !== 'wrap_up') {
        this.wrapUpUntil = null
      }
      const c = s.call
      if (c) {
        const same = this.call?.call_uuid === c.call_uuid
        this.call = {
          ...(same ? this.call : {}),
          ...c,
          connected_at: same && this.call.connected_at ? this.call.connected_at : ms(c.connected_at),
          ended_at: null,
        }
        if (c.consult_with) this.consult = { target: c.consult_with }
        else if (!c.conference) this.consult = null
      } else {
        this.consult = null
        if (this.call && !this.call.ended_at) this.call = { ...this.call, ended_at: Date.now() }
      }
    },
    async run(action, body = {}) {
      this.busy = true
      try {
        const reply = await command(action, body)
        this.changes += 1
        // the controller's reply already tells the new state; the WebSocket event confirms it
        if (reply?.state && reply.state !== this.state) {
          this.state = reply.state
          this.reason = reply.reason ?? null
          this.since = Date.now()
        }
        if (action === 'consult') this.consult = { target: body.target }
        if (['consult/complete', 'consult/cancel', 'three-way'].includes(action)) this.consult = null
        if (action === 'consult/cancel' && this.call) this.call = { ...this.call, conference: null }
        if (reply?.conference && this.call) this.call = { ...this.call, conference: reply.conference }
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
