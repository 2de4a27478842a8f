/**
 * 国民经济行业分类 GB/T 4754-2017: 20 sections (门类, A–T), each a range of two-digit divisions (大类).
 * An industry code is a section letter followed by a division, e.g. "C13" (农副食品加工业).
 */
const SECTIONS: ReadonlyArray<[section: string, firstDivision: number, lastDivision: number, name: string]> = [
  ['A', 1, 5, '农、林、牧、渔业'],
  ['B', 6, 12, '采矿业'],
  ['C', 13, 43, '制造业'],
  ['D', 44, 46, '电力、热力、燃气及水生产和供应业'],
  ['E', 47, 50, '建筑业'],
  ['F', 51, 52, '批发和零售业'],
  ['G', 53, 60, '交通运输、仓储和邮政业'],
  ['H', 61, 62, '住宿和餐饮业'],
  ['I', 63, 65, '信息传输、软件和信息技术服务业'],
  ['J', 66, 69, '金融业'],
  ['K', 70, 70, '房地产业'],
  ['L', 71, 72, '租赁和商务服务业'],
  ['M', 73, 75, '科学研究和技术服务业'],
  ['N', 76, 79, '水利、环境和公共设施管理业'],
  ['O', 80, 82, '居民服务、修理和其他服务业'],
  ['P', 83, 83, '教育'],
  ['Q', 84, 85, '卫生和社会工作'],
  ['R', 86, 90, '文化、体育和娱乐业'],
  ['S', 91, 96, '公共管理、社会保障和社会组织'],
  ['T', 97, 97, '国际组织'],
];

export function sectionOfDivision(division: string): string | null {
  if (!/^\d{2}$/.test(division)) return null;
  const n = Number(division);
  return SECTIONS.find(([, first, last]) => n >= first && n <= last)?.[0] ?? null;
}

/** "C13" is valid; "C01" is not (division 01 belongs to section A). */
export function isValidIndustryCode(code: string): boolean {
  return typeof code === 'string' && /^[A-T]\d{2}$/.test(code) && sectionOfDivision(code.slice(1)) === code[0];
}

/** A product may name whole sections ("C") or single divisions ("C13"). */
export function isValidIndustryCriterion(code: string): boolean {
  return typeof code === 'string' && (/^[A-T]$/.test(code) || isValidIndustryCode(code));
}

export function industrySectionName(section: string): string | null {
  return SECTIONS.find(([s]) => s === section)?.[3] ?? null;
}
