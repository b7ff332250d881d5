import { dateStyles, formatExcelDate } from './date-styles.js';
import type { ExtractedText } from './extract-types.js';
import { joinSections } from './join-sections.js';
import { openOoxmlPackage, type OoxmlPackage } from './ooxml-package.js';
import { walkXml } from './walk-xml.js';

const WORKBOOK = 'xl/workbook.xml';
const SHARED_STRINGS_TYPE = '/sharedStrings';
const STYLES_TYPE = '/styles';

/** What a cell's value needs to become text: the shared strings and which styles are dates. */
interface CellContext {
  shared: readonly string[];
  dateStyles: ReadonlySet<number>;
  date1904: boolean;
}

/**
 * XLSX/XLSM → text, one section per sheet in workbook order. Each section starts with
 * `Sheet: <name>`, then one line per row with the cells' values tab-separated (a cell's position
 * comes from its reference, so skipped columns stay empty); a gap between rows becomes a blank
 * line, which keeps separate tables on one sheet apart. Values are as stored (numbers unformatted,
 * formulas as their cached results) except dates, shown as ISO dates; macros and charts are ignored.
 */
export async function extractXlsx(bytes: Uint8Array): Promise<ExtractedText> {
  const pkg = openOoxmlPackage(bytes, 'XLSX');
  const rels = pkg.relationships(WORKBOOK);
  const sharedPart = [...rels.values()].find((rel) => rel.type.endsWith(SHARED_STRINGS_TYPE))?.target;
  const stylesPart = [...rels.values()].find((rel) => rel.type.endsWith(STYLES_TYPE))?.target;
  const context: CellContext = {
    shared: sharedStrings(pkg.xml(sharedPart ?? 'xl/sharedStrings.xml') ?? ''),
    dateStyles: dateStyles(pkg.xml(stylesPart ?? 'xl/styles.xml') ?? ''),
    date1904: false,
  };

  const sheets: Array<{ name: string; part: string }> = [];
  walkXml(pkg.xml(WORKBOOK) ?? '', {
    open(name, attributes) {
      if (name === 'workbookPr') context.date1904 = attributes.date1904 === '1' || attributes.date1904 === 'true';
      if (name !== 'sheet') return;
      const part = rels.get(attributes['r:id'] ?? '')?.target;
      if (part) sheets.push({ name: attributes.name ?? part, part });
    },
  });
  const parts = sheets.map(({ name, part }) => {
    const rows = sheetRows(pkg, part, context);
    return { label: name, text: rows ? `Sheet: ${name}\n${rows}` : '' };
  });
  return joinSections(parts);
}

/** The shared string table: each `si`'s text runs joined, phonetic guides (`rPh`) left out. */
function sharedStrings(xml: string): string[] {
  const strings: string[] = [];
  let current = '';
  let inText = false;
  let phonetic = 0;
  walkXml(xml, {
    open(name) {
      if (name === 'si') current = '';
      else if (name === 'rPh') phonetic++;
      else if (name === 't') inText = true;
    },
    text(text) {
      if (inText && phonetic === 0) current += text;
    },
    close(name) {
      if (name === 'si') strings.push(current);
      else if (name === 'rPh') phonetic--;
      else if (name === 't') inText = false;
    },
  });
  return strings;
}

function sheetRows(pkg: OoxmlPackage, part: string, context: CellContext): string {
  const lines: string[] = [];
  let previousRow = 0;
  let rowNumber = 0;
  let cells: string[] = [];
  let cell: { column: number; type: string; style: number; value: string } | undefined;
  let capture: 'v' | 't' | undefined;
  let phonetic = 0;
  let nextColumn = 0;

  walkXml(pkg.xml(part) ?? '', {
    open(name, attributes) {
      switch (name) {
        case 'row':
          rowNumber = Number(attributes.r) || rowNumber + 1;
          cells = [];
          nextColumn = 0;
          break;
        case 'c':
          cell = {
            column: columnIndex(attributes.r) ?? nextColumn,
            type: attributes.t ?? 'n',
            style: Number(attributes.s ?? 0),
            value: '',
          };
          break;
        case 'v':
          capture = 'v';
          break;
        case 't': // inline string text (`<is><t>` or rich runs `<is><r><t>`)
          capture = 't';
          break;
        case 'rPh':
          phonetic++;
          break;
      }
    },
    text(text) {
      if (cell && capture && phonetic === 0) cell.value += text;
    },
    close(name) {
      switch (name) {
        case 'v':
        case 't':
          capture = undefined;
          break;
        case 'rPh':
          phonetic--;
          break;
        case 'c':
          if (cell) {
            const value = cellText(cell, context);
            if (value) {
              while (cells.length < cell.column) cells.push('');
              cells[cell.column] = value;
            }
            nextColumn = cell.column + 1;
          }
          cell = undefined;
          break;
        case 'row':
          if (cells.length > 0) {
            if (lines.length > 0 && rowNumber > previousRow + 1) lines.push('');
            lines.push(cells.join('\t'));
            previousRow = rowNumber;
          }
          break;
      }
    },
  });
  return lines.join('\n');
}

function cellText(cell: { type: string; style: number; value: string }, context: CellContext): string {
  const value = cell.value.replace(/\s+/g, ' ').trim();
  switch (cell.type) {
    case 's':
      return (context.shared[Number(value)] ?? '').replace(/\s+/g, ' ').trim();
    case 'n': {
      const serial = Number(value);
      const isDate = value !== '' && Number.isFinite(serial) && context.dateStyles.has(cell.style);
      return isDate ? formatExcelDate(serial, context.date1904) : value;
    }
    case 'b':
      return value === '1' ? 'TRUE' : value === '0' ? 'FALSE' : value;
    default: // str (formula text), inlineStr, e (error such as #DIV/0!), d (ISO date)
      return value;
  }
}

/** "C12" → 2 (zero-based column of a cell reference), undefined when there is no reference. */
function columnIndex(ref: string | undefined): number | undefined {
  const letters = ref?.match(/^[A-Za-z]+/)?.[0];
  if (!letters) return undefined;
  let column = 0;
  for (const letter of letters.toUpperCase()) column = column * 26 + (letter.charCodeAt(0) - 64);
  return column - 1;
}
