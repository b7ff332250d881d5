/**
 * The one error type of the server and its catalogue. Every failure that reaches a client is an
 * ApiError; `api/error-handler.ts` maps it to the OpenAI wire shape
 * `{"error":{"message","type","param","code"}}` in exactly one place.
 */
export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'server_error';

export interface WireError {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: ErrorType,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toWire(): { error: WireError } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** The catalogue: every error the server can answer with. Each `code` is documented in docs/errors.md. */
export const Errors = {
  missingParameter: (param: string) =>
    new ApiError(400, 'invalid_request_error', `Missing required parameter: '${param}'.`, param, 'missing_required_parameter'),
  unknownParameter: (param: string) =>
    new ApiError(400, 'invalid_request_error', `Unknown parameter: '${param}'.`, param, 'unknown_parameter'),
  invalidType: (param: string, expected: string, got: string) =>
    new ApiError(
      400,
      'invalid_request_error',
      `Invalid type for '${param}': expected ${expected}, but got ${got} instead.`,
      param,
      'invalid_type',
    ),
  invalidValue: (param: string, value: unknown, allowed: readonly string[]) =>
    new ApiError(
      400,
      'invalid_request_error',
      `Invalid value: '${String(value)}'. Supported values are: ${listWords(allowed.map((a) => `'${a}'`))}.`,
      param,
      'invalid_value',
    ),
  stringTooLong: (param: string, max: number, got: number) =>
    new ApiError(
      400,
      'invalid_request_error',
      `Invalid '${param}': string too long. Expected a string with maximum length ${max}, but got a string with length ${got} instead.`,
      param,
      'string_above_max_length',
    ),
  stringTooShort: (param: string, min: number, got: number) =>
    new ApiError(
      400,
      'invalid_request_error',
      `Invalid '${param}': string too short. Expected a string with minimum length ${min}, but got a string with length ${got} instead.`,
      param,
      'string_below_min_length',
    ),
  stringPattern: (param: string, rule: string) =>
    new ApiError(400, 'invalid_request_error', `Invalid '${param}': ${rule}`, param, 'invalid_value'),
  numberAboveMax: (param: string, max: number, got: number, integer: boolean) =>
    new ApiError(
      400,
      'invalid_request_error',
      `Invalid '${param}': ${integer ? 'integer' : 'decimal'} above maximum value. Expected a value <= ${max}, but got ${got} instead.`,
      param,
      integer ? 'integer_above_max_value' : 'decimal_above_max_value',
    ),
  numberBelowMin: (param: string, min: number, got: number, integer: boolean) =>
    new ApiError(
      400,
      'invalid_request_error',
      `Invalid '${param}': ${integer ? 'integer' : 'decimal'} below minimum value. Expected a value >= ${min}, but got ${got} instead.`,
      param,
      integer ? 'integer_below_min_value' : 'decimal_below_min_value',
    ),
  arrayTooLong: (param: string, max: number, got: number) =>
    new ApiError(
      400,
      'invalid_request_error',
      `Invalid '${param}': array too long. Expected an array with maximum length ${max}, but got an array with length ${got} instead.`,
      param,
      'array_above_max_length',
    ),
  arrayTooShort: (param: string, min: number, got: number) =>
    new ApiError(
      400,
      'invalid_request_error',
      got === 0
        ? `Invalid '${param}': empty array. Expected an array with minimum length ${min}, but got an empty array instead.`
        : `Invalid '${param}': array too short. Expected an array with minimum length ${min}, but got an array with length ${got} instead.`,
      param,
      got === 0 ? 'empty_array' : 'array_below_min_length',
    ),
  tooManyProperties: (param: string, max: number, got: number) =>
    new ApiError(
      400,
      'invalid_request_error',
      `Invalid '${param}': too many properties. Expected an object with at most ${max} properties, but got an object with ${got} properties instead.`,
      param,
      'object_above_max_properties',
    ),
  invalidRequest: (message: string, param: string | null = null, code: string | null = null) =>
    new ApiError(400, 'invalid_request_error', message, param, code),
  invalidJson: () =>
    new ApiError(
      400,
      'invalid_request_error',
      "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
      null,
      'invalid_json',
    ),
  unsupportedContentType: (got: string, expected: string) =>
    new ApiError(
      400,
      'invalid_request_error',
      `Invalid Content-Type header (${got}), expected ${expected}.`,
      null,
      'invalid_content_type',
    ),
  notFound: (kind: string, id: string) =>
    new ApiError(404, 'invalid_request_error', `No ${kind} found with id '${id}'.`, null, null),
  invalidUrl: (method: string, url: string) =>
    new ApiError(404, 'invalid_request_error', `Invalid URL (${method} ${url})`, null, null),
  methodNotAllowed: (method: string, url: string, allowed: string[]) =>
    new ApiError(
      405,
      'invalid_request_error',
      `Invalid method for URL (${method} ${url}). Supported methods: ${allowed.join(', ')}.`,
      null,
      'method_not_allowed',
      { allow: allowed.join(', ') },
    ),
  missingApiKey: () =>
    new ApiError(
      401,
      'invalid_request_error',
      "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
      null,
      'missing_api_key',
    ),
  invalidApiKey: (shown: string) =>
    new ApiError(401, 'invalid_request_error', `Incorrect API key provided: ${shown}.`, null, 'invalid_api_key'),
  bodyTooLarge: (limit: number) =>
    new ApiError(
      413,
      'invalid_request_error',
      `Request body too large. The maximum size is ${limit} bytes.`,
      null,
      'request_too_large',
    ),
  fileTooLarge: (limit: number) =>
    new ApiError(
      413,
      'invalid_request_error',
      `File too large. The maximum file size is ${limit} bytes.`,
      'file',
      'file_too_large',
    ),
  headersTooLarge: (limit: number) =>
    new ApiError(
      431,
      'invalid_request_error',
      `Request header fields too large. The request line and headers may take at most ${limit} bytes.`,
      null,
      'headers_too_large',
    ),
  requestTimeout: () =>
    new ApiError(408, 'invalid_request_error', 'The request was not received in time.', null, 'request_timeout'),
  expectationFailed: (expect: string) =>
    new ApiError(
      417,
      'invalid_request_error',
      `Unsupported Expect header (${expect}); only 100-continue is supported.`,
      null,
      'expectation_failed',
    ),
  rateLimited: (message: string, retryAfterSeconds: number) =>
    new ApiError(429, 'rate_limit_error', message, null, 'rate_limit_exceeded', {
      'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))),
    }),
  conflict: (message: string, param: string | null = null) =>
    new ApiError(400, 'invalid_request_error', message, param, 'invalid_state'),
  internal: (requestId: string) =>
    new ApiError(
      500,
      'server_error',
      `The server had an error while processing your request. Sorry about that! You can retry your request, or contact us if the error persists. (Please include the request ID ${requestId} in your message.)`,
      null,
      null,
    ),
} as const;

export type ErrorName = keyof typeof Errors;

function listWords(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}
