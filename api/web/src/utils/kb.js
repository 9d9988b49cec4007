export const ARTICLE_STATUS = { draft: '草稿', submitted: '待审核', reviewed: '已审核', published: '已上架', unpublished: '已下架', archived: '已归档' }
export const ARTICLE_STATUS_TAG = { draft: 'info', submitted: 'warning', reviewed: 'primary', published: 'success', unpublished: 'info', archived: 'info' }
export const ARTICLE_ACTIONS = { submit: '提交审核', approve: '审核通过', reject: '审核退回', publish: '上架', unpublish: '下架', expire: '到期下架', archive: '归档', revise: '重新编辑' }
export const QUESTION_STATUS = { open: '待答复', answered: '已答复', closed: '已关闭' }

/** Categories as a tree for el-tree / el-tree-select. */
export function categoryTree(list) {
  const byId = new Map(list.map((c) => [c.id, { ...c, label: c.name, value: c.id, children: [] }]))
  const roots = []
  for (const c of byId.values()) (c.parent_id && byId.get(c.parent_id) ? byId.get(c.parent_id).children : roots).push(c)
  return roots
}
