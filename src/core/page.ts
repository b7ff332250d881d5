/** Cursor pagination, shared by every list. */
export type SortOrder = 'asc' | 'desc';

export interface ListQuery {
  limit: number;
  order: SortOrder;
  after?: string;
  before?: string;
}

export interface Page<T> {
  data: T[];
  hasMore: boolean;
}

export function toListResponse<T extends { id: string }>(page: Page<T>) {
  const { data } = page;
  return {
    object: 'list' as const,
    data,
    first_id: data.length ? data[0].id : null,
    last_id: data.length ? data[data.length - 1].id : null,
    has_more: page.hasMore,
  };
}
