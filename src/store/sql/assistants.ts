import type { Kysely } from 'kysely';
import type { Assistant } from '../../core/wire.js';
import type { AssistantRepo } from '../store.js';
import { paginate } from './paginate.js';
import { preparedFirst, type ReadNow } from './prepared.js';
import { fromJson, toJson, type AssistantRow, type Tables } from './tables.js';

function toRow(projectId: string, a: Assistant): AssistantRow {
  return {
    id: a.id,
    project_id: projectId,
    created_at: a.created_at,
    name: a.name,
    description: a.description,
    model: a.model,
    instructions: a.instructions,
    tools: toJson(a.tools),
    tool_resources: a.tool_resources === null ? null : toJson(a.tool_resources),
    metadata: toJson(a.metadata),
    temperature: a.temperature,
    top_p: a.top_p,
    response_format: a.response_format === null ? null : toJson(a.response_format),
    reasoning_effort: a.reasoning_effort,
  };
}

function fromRow(r: LookedUp): Assistant {
  return {
    id: r.id,
    object: 'assistant',
    created_at: r.created_at,
    name: r.name,
    description: r.description,
    model: r.model,
    instructions: r.instructions,
    tools: JSON.parse(r.tools),
    tool_resources: fromJson(r.tool_resources),
    metadata: JSON.parse(r.metadata),
    temperature: r.temperature,
    top_p: r.top_p,
    response_format: fromJson(r.response_format),
    reasoning_effort: r.reasoning_effort,
  };
}

/** An assistant row without its project, as the hot look-up selects it, in this column order. */
type LookedUp = Omit<AssistantRow, 'project_id'>;
const COLUMNS = [
  'id',
  'created_at',
  'name',
  'description',
  'model',
  'instructions',
  'tools',
  'tool_resources',
  'metadata',
  'temperature',
  'top_p',
  'response_format',
  'reasoning_effort',
] as const;

function fromValues(v: unknown[]): LookedUp {
  return {
    id: v[0] as string,
    created_at: v[1] as number,
    name: v[2] as string | null,
    description: v[3] as string | null,
    model: v[4] as string,
    instructions: v[5] as string | null,
    tools: v[6] as string,
    tool_resources: v[7] as string | null,
    metadata: v[8] as string,
    temperature: v[9] as number | null,
    top_p: v[10] as number | null,
    response_format: v[11] as string | null,
    reasoning_effort: v[12] as string | null,
  };
}

const str = JSON.stringify;

/**
 * `JSON.stringify(fromRow(r))` without building the object: the same keys in the same order, and
 * the JSON columns spliced in as stored. They were written by `JSON.stringify` (toRow), whose
 * output parses and re-serialises to the same text, so the bytes are identical; skipping the
 * parse and the second serialisation is most of what a hot read costs after the query itself.
 */
function rowJson(r: LookedUp): string {
  return (
    `{"id":${str(r.id)},"object":"assistant","created_at":${str(r.created_at)},"name":${str(r.name)},` +
    `"description":${str(r.description)},"model":${str(r.model)},"instructions":${str(r.instructions)},` +
    `"tools":${r.tools},"tool_resources":${r.tool_resources ?? 'null'},"metadata":${r.metadata},` +
    `"temperature":${str(r.temperature)},"top_p":${str(r.top_p)},"response_format":${r.response_format ?? 'null'},` +
    `"reasoning_effort":${str(r.reasoning_effort)}}`
  );
}

export function assistantRepo(db: Kysely<Tables>, readNow?: ReadNow): AssistantRepo {
  const byId = preparedFirst(
    db,
    (id: string, projectId: string) =>
      db.selectFrom('assistants').select(COLUMNS).where('id', '=', id).where('project_id', '=', projectId),
    fromValues,
    readNow,
  );
  return {
    async insert(projectId, a) {
      await db.insertInto('assistants').values(toRow(projectId, a)).execute();
    },
    async get(projectId, id) {
      const row = await byId(id, projectId);
      return row && fromRow(row);
    },
    async getJson(projectId, id) {
      const row = await byId(id, projectId);
      return row && rowJson(row);
    },
    async update(projectId, a) {
      const { id, project_id, created_at, ...rest } = toRow(projectId, a);
      const res = await db
        .updateTable('assistants')
        .set(rest)
        .where('id', '=', id)
        .where('project_id', '=', project_id)
        .executeTakeFirst();
      return res.numUpdatedRows > 0n;
    },
    async delete(projectId, id) {
      const res = await db
        .deleteFrom('assistants')
        .where('id', '=', id)
        .where('project_id', '=', projectId)
        .executeTakeFirst();
      return res.numDeletedRows > 0n;
    },
    async list(projectId, q) {
      const page = await paginate(db.selectFrom('assistants').selectAll().where('project_id', '=', projectId), q);
      return { data: page.data.map(fromRow), hasMore: page.hasMore };
    },
  };
}
