import { walkXml } from './walk-xml.js';

/** Built-in number formats that show dates or times (ECMA-376 §18.8.30, incl. the CJK ones). */
const BUILT_IN_DATE_FORMATS = new Set([
  14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 45, 46, 47, 50, 51, 52,
  53, 54, 55, 56, 57, 58,
]);

/**
 * The indexes of a workbook's cell styles (`cellXfs`, what a cell's `s` attribute points at) whose
 * number format shows a date or time, read from xl/styles.xml. A worksheet stores dates as serial
 * day numbers; these styles are how to tell a date from a number.
 */
export function dateStyles(stylesXml: string): Set<number> {
  const customFormats = new Map<number, string>();
  const styleFormats: number[] = [];
  let inCellXfs = false;
  walkXml(stylesXml, {
    open(name, attributes) {
      if (name === 'numFmt') customFormats.set(Number(attributes.numFmtId), attributes.formatCode ?? '');
      else if (name === 'cellXfs') inCellXfs = true;
      else if (name === 'xf' && inCellXfs) styleFormats.push(Number(attributes.numFmtId ?? 0));
    },
    close(name) {
      if (name === 'cellXfs') inCellXfs = false;
    },
  });
  const dates = new Set<number>();
  styleFormats.forEach((id, index) => {
    const code = customFormats.get(id);
    if (code === undefined ? BUILT_IN_DATE_FORMATS.has(id) : isDateFormatCode(code)) dates.add(index);
  });
  return dates;
}

/** A format code shows a date/time when, outside quoted text, escapes and [colour]/[locale] tags, it has y, m, d, h or s. */
function isDateFormatCode(code: string): boolean {
  const bare = code
    .replace(/"[^"]*"/g, '')
    .replace(/\\./g, '')
    .replace(/\[(?![hms]+\])[^\]]*\]/gi, '');
  return /[ymdhs]/i.test(bare.split(';')[0] ?? '');
}

const DAY_MS = 86_400_000;
/** Serial 0 in the 1900 system counted from 1899-12-30, which absorbs Excel's phantom 1900-02-29. */
const EPOCH_1900 = Date.UTC(1899, 11, 30);
const EPOCH_1904 = Date.UTC(1904, 0, 1);

/** A date serial as ISO text: `2024-01-01`, `2024-01-01 06:30:00`, or `06:30:00` for a bare time. */
export function formatExcelDate(serial: number, date1904: boolean): string {
  const ms = Math.round(((date1904 ? EPOCH_1904 : EPOCH_1900) + serial * DAY_MS) / 1000) * 1000;
  const iso = new Date(ms).toISOString(); // 2024-01-01T06:30:00.000Z
  const day = iso.slice(0, 10);
  const time = iso.slice(11, 19);
  if (serial >= 0 && serial < 1) return time;
  return time === '00:00:00' ? day : `${day} ${time}`;
}
