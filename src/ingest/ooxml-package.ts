import { posix } from 'node:path';
import { strFromU8, unzipSync, type UnzipFileInfo } from 'fflate';
import { ExtractError } from './extract-types.js';
import { walkXml } from './walk-xml.js';

/** A part larger than this when inflated is refused rather than inflated (zip bombs). */
const MAX_PART_BYTES = 256 * 1024 * 1024;

/** The parts of an Office Open XML package (a .docx, .pptx or .xlsx zip) that extractors read. */
export interface OoxmlPackage {
  /** Every part name in the package, e.g. `ppt/slides/slide1.xml`. */
  readonly names: readonly string[];
  /** A part's XML text, or undefined when the package has no such part. */
  xml(name: string): string | undefined;
  /** The relationships of `part` by id, targets resolved to part names (external targets left out). */
  relationships(part: string): Map<string, { type: string; target: string }>;
}

/**
 * Opens an OOXML package; `kind` ("PPTX", "XLSX") words the errors. An encrypted Office file is not
 * a zip but an OLE compound file, which is told apart so the message can say why it fails.
 */
export function openOoxmlPackage(bytes: Uint8Array, kind: string): OoxmlPackage {
  if (isOleCompoundFile(bytes)) {
    throw new ExtractError(
      'invalid_file',
      `The ${kind} file is encrypted (password-protected) or in a legacy binary Office format, so its text cannot be read.`,
    );
  }
  const sizes = new Map<string, number>();
  unzip(bytes, kind, (file) => {
    sizes.set(file.name, file.originalSize);
    return false; // only list the central directory
  });
  const names = [...sizes.keys()];
  return {
    names,
    xml(name) {
      const size = sizes.get(name);
      if (size === undefined) return undefined;
      if (size > MAX_PART_BYTES) {
        throw new ExtractError('invalid_file', `The ${kind} file's part ${name} is too large to read (${size} bytes uncompressed).`);
      }
      const part = unzip(bytes, kind, (file) => file.name === name)[name];
      return part ? strFromU8(part) : undefined;
    },
    relationships(part) {
      const relsName = posix.join(posix.dirname(part), '_rels', `${posix.basename(part)}.rels`);
      const rels = new Map<string, { type: string; target: string }>();
      const xml = this.xml(relsName);
      if (!xml) return rels;
      walkXml(xml, {
        open(name, attributes) {
          const { Id: id, Type: type = '', Target: target, TargetMode: mode } = attributes;
          if (name !== 'Relationship' || !id || !target || mode === 'External') return;
          const resolved = target.startsWith('/') ? target.slice(1) : posix.join(posix.dirname(part), target);
          rels.set(id, { type, target: posix.normalize(resolved) });
        },
      });
      return rels;
    },
  };
}

function unzip(bytes: Uint8Array, kind: string, filter: (file: UnzipFileInfo) => boolean): Record<string, Uint8Array> {
  try {
    return unzipSync(bytes, { filter });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const error = new ExtractError('invalid_file', `The ${kind} file is not a readable Office document (corrupt or truncated zip: ${reason}).`);
    error.cause = err;
    throw error;
  }
}

function isOleCompoundFile(bytes: Uint8Array): boolean {
  const magic = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];
  return bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b);
}
