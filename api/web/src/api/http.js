// Generic API client: bearer token, JSON in/out, problem+json errors shown to the user.
import { ElMessage } from 'element-plus'

const TOKEN_KEY = 'hotline.token'

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `请求失败（${status}）`)
    this.status = status
    this.problem = problem || {}
    this.field = problem?.field
  }
}

let onUnauthorized = () => {}
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn
}

export function getToken() {
  return localStorage.getItem(TOKEN_KEY)
}
export function setToken(token) {
  if (token) localStorage.setItem(TOKEN_KEY, token)
  else localStorage.removeItem(TOKEN_KEY)
}

function buildUrl(url, params) {
  if (!params) return url
  const qs = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue
    if (Array.isArray(v)) v.forEach((item) => qs.append(k, item))
    else qs.append(k, v)
  }
  const s = qs.toString()
  return s ? `${url}${url.includes('?') ? '&' : '?'}${s}` : url
}

/**
 * request('GET', '/api/units', { params: {q} }) → parsed JSON.
 * Options: params, body (JSON), form (URLSearchParams / FormData), silent (no toast), raw (return Response),
 * headers.
 */
export async function request(method, url, opts = {}) {
  const headers = { Accept: 'application/json, application/problem+json', ...(opts.headers || {}) }
  const token = getToken()
  if (token) headers.Authorization = `Bearer ${token}`
  let body
  if (opts.form !== undefined) {
    body = opts.form
  } else if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json'
    body = JSON.stringify(opts.body)
  }
  let resp
  try {
    resp = await fetch(buildUrl(url, opts.params), { method, headers, body })
  } catch (e) {
    const err = new ApiError(0, { title: '网络错误', detail: '无法连接服务器，请检查网络' })
    if (!opts.silent) ElMessage.error(err.message)
    throw err
  }
  if (resp.ok) {
    if (opts.raw) return resp
    if (resp.status === 204) return null
    const type = resp.headers.get('content-type') || ''
    return type.includes('json') ? resp.json() : resp.text()
  }
  let problem = null
  try {
    problem = await resp.json()
  } catch {
    problem = { title: resp.statusText, detail: `请求失败（${resp.status}）` }
  }
  const err = new ApiError(resp.status, problem)
  if (resp.status === 401 && token) {
    onUnauthorized(err)
  }
  if (!opts.silent) ElMessage.error({ message: err.message, grouping: true })
  throw err
}

export const api = {
  get: (url, params, opts = {}) => request('GET', url, { ...opts, params }),
  post: (url, body, opts = {}) => request('POST', url, { ...opts, body }),
  put: (url, body, opts = {}) => request('PUT', url, { ...opts, body }),
  patch: (url, body, opts = {}) => request('PATCH', url, { ...opts, body }),
  del: (url, opts = {}) => request('DELETE', url, opts),
  upload: (url, formData, opts = {}) => request('POST', url, { ...opts, form: formData }),
  request: (method, url, opts = {}) => request(method.toUpperCase(), url, opts),
}

/** Download a file from the API (with the bearer token) and save it under `filename`. */
export async function download(url, params, filename) {
  const resp = await request('GET', url, { params, raw: true })
  const blob = await resp.blob()
  const disposition = resp.headers.get('content-disposition') || ''
  const match = /filename\*=UTF-8''([^;]+)/i.exec(disposition) || /filename="?([^";]+)"?/i.exec(disposition)
  const name = filename || (match ? decodeURIComponent(match[1]) : 'export.xlsx')
  const a = document.createElement('a')
  a.href = URL.createObjectURL(blob)
  a.download = name
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(a.href), 1000)
}
