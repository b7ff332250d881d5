/**
 * Which extractor reads a file: by extension first, then by MIME type, then by magic bytes (a
 * PDF or an OOXML package uploaded as `application/octet-stream` without a telling name).
 */
export type DocumentFormat = 'pdf' | 'docx' | 'pptx' | 'xlsx' | 'html' | 'text';

const TEXT_EXTENSIONS = [
  // prose and data
  'txt', 'text', 'md', 'markdown', 'mdx', 'rst', 'adoc', 'org', 'tex', 'bib', 'log',
  'csv', 'tsv', 'json', 'jsonl', 'ndjson', 'geojson', 'xml', 'yaml', 'yml', 'toml', 'ini', 'cfg',
  'conf', 'env', 'properties', 'sql', 'graphql', 'gql', 'proto', 'srt', 'vtt',
  // source code
  'py', 'pyi', 'ipynb', 'js', 'mjs', 'cjs', 'jsx', 'ts', 'mts', 'cts', 'tsx', 'java', 'kt', 'kts',
  'scala', 'groovy', 'c', 'h', 'cc', 'cpp', 'cxx', 'hpp', 'hh', 'hxx', 'cs', 'fs', 'vb', 'go', 'rs',
  'rb', 'php', 'pl', 'pm', 'lua', 'r', 'jl', 'swift', 'm', 'mm', 'dart', 'ex', 'exs', 'erl', 'hs',
  'ml', 'clj', 'elm', 'zig', 'nim', 'sh', 'bash', 'zsh', 'fish', 'ps1', 'bat', 'cmd', 'css',
  'scss', 'sass', 'less', 'vue', 'svelte', 'astro', 'tf', 'hcl', 'cmake', 'gradle', 'diff', 'patch',
] as const;

const BY_EXTENSION = new Map<string, DocumentFormat>([
  ['pdf', 'pdf'],
  ['docx', 'docx'],
  ['pptx', 'pptx'],
  ['xlsx', 'xlsx'],
  ['xlsm', 'xlsx'],
  ['html', 'html'],
  ['htm', 'html'],
  ['xhtml', 'html'],
  ...TEXT_EXTENSIONS.map((ext): [string, DocumentFormat] => [ext, 'text']),
]);

const BY_MIME = new Map<string, DocumentFormat>([
  ['application/pdf', 'pdf'],
  ['application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'docx'],
  ['application/vnd.openxmlformats-officedocument.presentationml.presentation', 'pptx'],
  ['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'xlsx'],
  ['application/vnd.ms-excel.sheet.macroenabled.12', 'xlsx'],
  ['text/html', 'html'],
  ['application/xhtml+xml', 'html'],
  ['application/json', 'text'],
  ['application/ld+json', 'text'],
  ['application/xml', 'text'],
  ['application/javascript', 'text'],
  ['application/typescript', 'text'],
  ['application/x-sh', 'text'],
  ['application/x-yaml', 'text'],
  ['application/yaml', 'text'],
  ['application/toml', 'text'],
  ['application/sql', 'text'],
  ['application/x-tex', 'text'],
]);

/** The lower-cased extension of a file name without the dot ('' when there is none). */
export function fileExtension(filename: string): string {
  const base = filename.slice(filename.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot + 1).toLowerCase() : '';
}

/** The format to read `bytes` as, or undefined when no extractor handles the file. */
export function detectFormat(bytes: Uint8Array, filename: string, mimeType: string): DocumentFormat | undefined {
  const byExtension = BY_EXTENSION.get(fileExtension(filename));
  if (byExtension) return byExtension;
  const mime = mimeType.split(';')[0]!.trim().toLowerCase();
  const byMime = BY_MIME.get(mime);
  if (byMime) return byMime;
  if (mime.startsWith('text/')) return 'text';
  return sniffFormat(bytes);
}

function sniffFormat(bytes: Uint8Array): DocumentFormat | undefined {
  if (startsWithAscii(bytes, '%PDF-')) return 'pdf';
  if (startsWithAscii(bytes, 'PK\u0003\u0004')) {
    // Part names are stored uncompressed in the zip's central directory (at the end) and in
    // each entry's local header, so the main folder of an OOXML package shows in plain bytes.
    const window = 1 << 16;
    const latin1 = new TextDecoder('latin1');
    const names =
      latin1.decode(bytes.subarray(0, window)) + latin1.decode(bytes.subarray(Math.max(0, bytes.length - window)));
    if (names.includes('word/document')) return 'docx';
    if (names.includes('ppt/presentation')) return 'pptx';
    if (names.includes('xl/workbook')) return 'xlsx';
  }
  return undefined;
}

function startsWithAscii(bytes: Uint8Array, prefix: string): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix.charCodeAt(i)) return false;
  return true;
}
