import { ref } from 'vue'

let specPromise = null
/** Whether the API advertises `path` (with `method`) in /openapi.json — for pages whose API may not be deployed. */
export function hasEndpoint(path, method = 'get') {
  specPromise ||= fetch('/openapi.json').then((r) => (r.ok ? r.json() : { paths: {} })).catch(() => ({ paths: {} }))
  return specPromise.then((spec) => !!spec.paths?.[path]?.[method])
}
export function useEndpoint(path, method = 'get') {
  const available = ref(null)
  hasEndpoint(path, method).then((ok) => (available.value = ok))
  return available
}
