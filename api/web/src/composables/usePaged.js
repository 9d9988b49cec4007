import { reactive, ref, watch } from 'vue'
import { api } from '../api/http'

/** A paged list from an endpoint returning {items,total,page,size}; `filters` is a reactive object. */
export function usePaged(url, filters = reactive({}), { size = 20, immediate = true } = {}) {
  const items = ref([])
  const total = ref(0)
  const loading = ref(false)
  const paging = reactive({ page: 1, size })
  let seq = 0

  async function load() {
    const mine = ++seq
    loading.value = true
    try {
      const target = typeof url === 'function' ? url() : url
      const out = await api.get(target, { ...filters, page: paging.page, size: paging.size })
      if (mine !== seq) return
      items.value = Array.isArray(out) ? out : out.items
      total.value = Array.isArray(out) ? out.length : out.total
    } catch {
      if (mine === seq) items.value = []
    } finally {
      if (mine === seq) loading.value = false
    }
  }
  function search() {
    paging.page = 1
    load()
  }
  watch(() => [paging.page, paging.size], load)
  if (immediate) load()
  return { items, total, loading, paging, load, search, filters }
}
