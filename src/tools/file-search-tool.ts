import type { ModelTool } from '../model/language-model.js';
import type { FileSearchResult, TextAnnotation } from '../core/wire.js';
import { searchStores, type SearchDeps } from './search-stores.js';

export const FILE_SEARCH_TOOL = 'file_search';
export const DEFAULT_MAX_RESULTS = 20;
const RANKER = 'default_2024_08_21';

/** How the model sees file_search: a function taking a search query. */
export function fileSearchModelTool(): ModelTool {
  return {
    name: FILE_SEARCH_TOOL,
    description:
      "Search the user's uploaded files for passages relevant to a query. Each result starts with a citation marker " +
      'such as 【0:1†report.pdf】; when you use a result in your answer, copy its marker right after the sentence it supports.',
    parameters: {
      type: 'object',
      properties: { query: { type: 'string', description: 'What to look for, in natural language or keywords.' } },
      required: ['query'],
    },
  };
}

export interface Source {
  marker: string;
  fileId: string;
}

export interface FileSearchOutcome {
  /** What the run step records (content included; callers strip it unless asked). */
  results: FileSearchResult[];
  rankingOptions: { ranker: string; score_threshold: number };
  /** What the model sees as the tool's output. */
  output: string;
  sources: Source[];
}

/** Pulls the query out of the model's arguments, tolerating the shapes small models produce. */
export function parseQuery(args: string): string {
  try {
    const v = JSON.parse(args) as unknown;
    if (typeof v === 'string') return v;
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.query === 'string') return o.query;
      if (Array.isArray(o.queries)) return o.queries.filter((q) => typeof q === 'string').join(' ');
    }
  } catch {
    // not JSON: use the raw text
  }
  return args;
}

export async function runFileSearch(
  deps: SearchDeps,
  input: {
    vectorStoreIds: string[];
    query: string;
    maxResults: number;
    scoreThreshold: number;
    /** Number of this call among the run's file searches, for the markers. */
    callNo: number;
    fileName(fileId: string): Promise<string>;
  },
  signal?: AbortSignal,
): Promise<FileSearchOutcome> {
  const hits = await searchStores(
    deps,
    { vectorStoreIds: input.vectorStoreIds, queries: [input.query], limit: input.maxResults, scoreThreshold: input.scoreThreshold },
    signal,
  );
  const results: FileSearchResult[] = [];
  const sources: Source[] = [];
  const blocks: string[] = [];
  for (const [i, hit] of hits.entries()) {
    const name = await input.fileName(hit.chunk.fileId);
    const marker = `【${input.callNo}:${i}†${name}】`;
    results.push({ file_id: hit.chunk.fileId, file_name: name, score: hit.score, content: [{ type: 'text', text: hit.chunk.text }] });
    sources.push({ marker, fileId: hit.chunk.fileId });
    blocks.push(`${marker}\n${hit.chunk.text}`);
  }
  const output = blocks.length ? blocks.join('\n\n---\n\n') : 'No results found in the files for this query.';
  return { results, rankingOptions: { ranker: RANKER, score_threshold: input.scoreThreshold }, output, sources };
}

const MARKER = /【(\d+):(\d+)†[^】]*】/g;

/**
 * Markers the model copied into its answer become `file_citation` annotations whose `text`,
 * `start_index` and `end_index` match the message text exactly. Unknown markers are left alone.
 */
export function citationAnnotations(text: string, sources: Source[]): TextAnnotation[] {
  const byKey = new Map<string, string>();
  for (const s of sources) {
    const m = /^【(\d+):(\d+)†/.exec(s.marker);
    if (m) byKey.set(`${m[1]}:${m[2]}`, s.fileId);
  }
  const out: TextAnnotation[] = [];
  for (const m of text.matchAll(MARKER)) {
    const fileId = byKey.get(`${m[1]}:${m[2]}`);
    if (!fileId || m.index === undefined) continue;
    out.push({ type: 'file_citation', text: m[0], file_citation: { file_id: fileId }, start_index: m.index, end_index: m.index + m[0].length });
  }
  return out;
}
