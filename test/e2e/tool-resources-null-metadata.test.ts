/**
 * Regression found by the hostile-input suite: the spec's Metadata is `object | null` everywhere,
 * but `tool_resources.file_search.vector_stores[0].metadata: null` (the helper that creates a
 * vector store with an assistant or thread) was refused with 400 invalid_type.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeEachBackend } from './support/suite.js';
import { http } from './support/http.js';

describeEachBackend('tool_resources vector store helper with metadata: null', {}, (t) => {
  for (const path of ['/assistants', '/threads']) {
    it(`${path} takes vector_stores[0].metadata null and creates the store with empty metadata`, async () => {
      const body = { ...(path === '/assistants' && { model: 'gpt-4o' }), tool_resources: { file_search: { vector_stores: [{ metadata: null }] } } };
      const res = await http(t.baseURL, path, { json: body });
      assert.equal(res.status, 200, res.text);
      const storeId = (res.json as { tool_resources: { file_search: { vector_store_ids: string[] } } }).tool_resources.file_search.vector_store_ids[0];
      const store = await http(t.baseURL, `/vector_stores/${storeId}`);
      assert.equal(store.status, 200);
      assert.deepEqual((store.json as { metadata: unknown }).metadata, {});
    });
  }
});
