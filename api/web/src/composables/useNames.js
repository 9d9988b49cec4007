import { reactive } from 'vue'
import { api } from '../api/http'

// id → name caches shared by every page (units and tenants rarely change during a session).
const units = reactive({})
const tenants = reactive({})
let tenantsLoaded = null

export function unitName(id) {
  if (!id) return ''
  if (!(id in units)) {
    units[id] = '…'
    api
      .get(`/api/units/${id}`, null, { silent: true })
      .then((u) => (units[id] = u.short_name || u.name))
      .catch(() => (units[id] = `单位#${id}`))
  }
  return units[id]
}

export function tenantName(id) {
  if (!id) return ''
  tenantsLoaded ||= api
    .get('/api/tenants', null, { silent: true })
    .then((list) => list.forEach((t) => (tenants[t.id] = t.name)))
    .catch(() => {})
  return tenants[id] || ''
}
