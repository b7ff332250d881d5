import { Parser } from 'htmlparser2';
import { decodeText } from './decode-text.js';
import { ExtractError, type ExtractedText } from './extract-types.js';
import { tidyText } from './join-sections.js';

/** Elements whose content is never visible text (or is page chrome, like navigation). */
const SKIPPED = new Set([
  'head', 'script', 'style', 'noscript', 'template', 'nav', 'svg', 'math', 'canvas', 'iframe',
  'object', 'embed', 'audio', 'video', 'map', 'button', 'select', 'datalist', 'textarea', 'dialog',
]);

/** Elements that start and end a line. */
const BLOCKS = new Set([
  'address', 'article', 'aside', 'blockquote', 'body', 'caption', 'dd', 'details', 'div', 'dl',
  'dt', 'fieldset', 'figcaption', 'figure', 'footer', 'form', 'header', 'hgroup', 'hr', 'html',
  'legend', 'main', 'ol', 'section', 'summary', 'table', 'tbody', 'tfoot', 'thead', 'ul',
]);

/** Elements followed by a blank line. */
const PARAGRAPHS = new Set(['p', 'pre', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6']);

/**
 * HTML → visible text with htmlparser2's streaming tokenizer (entities decoded, implied end tags
 * closed for us). Scripts, styles, the head (but the title) and navigation are dropped, as are
 * elements marked hidden; headings and paragraphs end with a blank line, list items start with
 * "- ", table rows become lines of tab-separated cells, `<pre>` keeps its whitespace. When the
 * page has a `<main>` (or role="main") element, only the title and that element's text are kept:
 * that is how sites mark the article apart from headers, sidebars and footers.
 */
export async function extractHtml(bytes: Uint8Array): Promise<ExtractedText> {
  const html = decodeText(bytes, declaredCharset(bytes));
  if (html === undefined) throw new ExtractError('unsupported_file', 'The HTML file is not text (it contains binary data).');

  const sinks = [new TextBuilder()]; // the page, then one per open table cell
  const rows: string[][] = []; // open table rows' cells
  const sink = () => sinks[sinks.length - 1]!;
  let title = '';
  const stack: string[] = [];
  let skipFrom = -1; // stack depth of the outermost skipped element, -1 when text is visible
  let titleDepth = -1;
  let preDepth = 0;
  const main = { depth: -1, start: -1, end: -1 };

  const parser = new Parser(
    {
      onopentag(name, attributes) {
        // The document's title: the first <title> that is not an SVG image's.
        if (name === 'title' && !title && titleDepth < 0 && !stack.includes('svg')) titleDepth = stack.length;
        if (skipFrom < 0 && (SKIPPED.has(name) || isHidden(attributes))) skipFrom = stack.length;
        const depth = stack.length;
        stack.push(name);
        if (skipFrom >= 0) return;
        if ((name === 'main' || attributes.role === 'main') && main.start < 0 && sinks.length === 1) {
          main.depth = depth;
          main.start = sink().length;
        }
        if (name === 'pre') preDepth++;
        if (name === 'br') sink().newline();
        else if (name === 'li') sink().startLine('- ');
        else if (name === 'tr') (sink().startLine(), rows.push([]));
        else if (name === 'td' || name === 'th') sinks.push(new TextBuilder());
        else if (BLOCKS.has(name) || PARAGRAPHS.has(name)) sink().startLine();
      },
      ontext(text) {
        if (titleDepth >= 0) title += text;
        if (skipFrom < 0) sink().text(text, preDepth > 0);
      },
      onclosetag(name) {
        stack.pop();
        const depth = stack.length;
        if (depth === titleDepth) titleDepth = -1;
        if (skipFrom >= 0) {
          if (depth === skipFrom) skipFrom = -1;
          return;
        }
        if (name === 'pre') preDepth--;
        if ((name === 'td' || name === 'th') && sinks.length > 1) {
          const cell = sinks.pop()!.toString().replace(/\s+/g, ' ').trim();
          const row = rows[rows.length - 1];
          if (row) row.push(cell);
          else sink().text(` ${cell} `, false);
        } else if (name === 'tr') {
          const row = rows.pop();
          if (row?.some((cell) => cell !== '')) (sink().startLine(), sink().text(row.join('\t').trimEnd(), true));
          sink().startLine();
        } else if (PARAGRAPHS.has(name)) sink().blankLine();
        else if (BLOCKS.has(name) || name === 'li') sink().startLine();
        if (depth === main.depth && main.end < 0) main.end = sink().length;
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.end(html);

  const page = sinks[0]!.toString();
  const body = main.start >= 0 ? page.slice(main.start, main.end >= 0 ? main.end : undefined) : page;
  const heading = title.replace(/\s+/g, ' ').trim();
  const text = heading && !body.trimStart().startsWith(heading) ? `${heading}\n\n${body}` : body;
  return { text: tidyText(text.replace(/^- *$/gm, '')) }; // list items that had no text
}

function isHidden(attributes: Record<string, string>): boolean {
  if ('hidden' in attributes || attributes['aria-hidden'] === 'true') return true;
  if (attributes.role === 'navigation') return true;
  const style = attributes.style?.replace(/\s+/g, '').toLowerCase() ?? '';
  return style.includes('display:none') || style.includes('visibility:hidden');
}

/**
 * The charset a page declares in its first bytes (`<meta charset>` or the http-equiv form): the
 * HTML prescan reads bytes as ASCII before any decoding, so a pattern over that window is the
 * specified method, not HTML parsing.
 */
function declaredCharset(bytes: Uint8Array): string | undefined {
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 2048));
  return /<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)/i.exec(head)?.[1];
}

/** Accumulates text with collapsed whitespace and explicit line structure. */
class TextBuilder {
  private out = '';

  get length(): number {
    return this.out.length;
  }

  text(text: string, preserve: boolean): void {
    if (preserve) {
      this.out += text;
      return;
    }
    const collapsed = text.replace(/\s+/g, ' ');
    this.out += this.atSpace() ? collapsed.trimStart() : collapsed;
  }

  newline(): void {
    this.trimSpacesAtEnd();
    this.out += '\n';
  }

  startLine(prefix = ''): void {
    if (this.out !== '' && !this.out.endsWith('\n')) this.newline();
    this.out += prefix;
  }

  blankLine(): void {
    this.startLine();
    if (this.out !== '' && !this.out.endsWith('\n\n')) this.out += '\n';
  }

  toString(): string {
    return this.out;
  }

  /** At the start or after whitespace, where collapsed text drops its leading space. */
  private atSpace(): boolean {
    const last = this.out.charCodeAt(this.out.length - 1);
    return Number.isNaN(last) || last === 32 || last === 10 || last === 9;
  }

  private trimSpacesAtEnd(): void {
    let end = this.out.length;
    while (end > 0 && (this.out.charCodeAt(end - 1) === 32 || this.out.charCodeAt(end - 1) === 9)) end--;
    if (end < this.out.length) this.out = this.out.slice(0, end);
  }
}
