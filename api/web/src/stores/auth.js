import { defineStore } from 'pinia'
import { api, getToken, request, setToken } from '../api/http'
import { connect, disconnect } from '../api/ws'
import { UNIT_ROLES } from '../utils/roles'

export const useAuth = defineStore('auth', {
  state: () => ({ token: getToken(), me: null }),
  getters: {
    loggedIn: (s) => !!s.token,
    roles: (s) => s.me?.roles || [],
  },
  actions: {
    has(...roles) {
      const mine = this.me?.roles || []
      return mine.includes('admin') || roles.some((r) => mine.includes(r))
    },
    hasExactly(...roles) {
      const mine = this.me?.roles || []
      return roles.some((r) => mine.includes(r))
    },
    isUnitUser() {
      const mine = this.me?.roles || []
      return mine.length > 0 && mine.every((r) => UNIT_ROLES.includes(r))
    },
    async login(username, password) {
      const form = new URLSearchParams({ username, password })
      const out = await request('POST', '/api/auth/token', { form, silent: true })
      setToken(out.access_token)
      this.token = out.access_token
      this.me = out.user
      connect()
      return out.user
    },
    async load() {
      if (!this.token) return null
      if (!this.me) {
        this.me = await api.get('/api/auth/me', null, { silent: true })
        connect()
      }
      return this.me
    },
    async logout(remote = true) {
      if (remote && this.token) {
        try {
          await api.post('/api/auth/logout', undefined, { silent: true })
        } catch {
          /* token already invalid */
        }
      }
      disconnect()
      setToken(null)
      this.token = null
      this.me = null
    },
    /** Where this user starts after signing in. */
    homePath() {
      const r = this.me?.roles || []
      if (this.isUnitUser()) return '/m'
      if (r.includes('agent')) return '/agent'
      if (r.includes('supervisor')) return '/monitor'
      if (r.includes('dispatcher') || r.includes('revisit_officer') || r.includes('workstation')) return '/tickets'
      if (r.includes('kb_editor')) return '/kb'
      if (r.includes('qa_reviewer')) return '/qa'
      return '/home'
    },
  },
})
