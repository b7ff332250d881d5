/**
 * File names come from clients (multipart `filename`, the Uploads API's `filename`) and are only
 * ever data: blobs live under server-made keys. What still needs care is storing a name the same
 * way on every backend.
 */

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * The name as stored: as given, except for what a backend cannot hold alike. NUL becomes `_`
 * (PostgreSQL text cannot hold it; SQLite would) and a lone UTF-16 surrogate, which has no
 * UTF-8 form, becomes U+FFFD (each driver would mangle it its own way).
 */
export function storedFileName(name: string): string {
  return name.replace(/\u0000/g, '_').replace(LONE_SURROGATE, '\ufffd');
}
