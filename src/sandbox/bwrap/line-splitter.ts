/**
 * Splits a byte stream into '\n'-terminated lines, never holding more than `maxLineBytes` of one
 * line: past that it reports an overflow instead of buffering on (a flood from the sandbox must not
 * exhaust the server's memory).
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  overflowed = false;

  constructor(private readonly maxLineBytes: number) {}

  /** The complete lines in `chunk` (plus what came before it), without their '\n'. */
  push(chunk: Buffer): string[] {
    if (this.overflowed) return [];
    const lines: string[] = [];
    let start = 0;
    for (;;) {
      const end = chunk.indexOf(10, start);
      if (end < 0) break;
      const piece = chunk.subarray(start, end);
      if (this.size + piece.length > this.maxLineBytes) return this.overflow(lines);
      lines.push(this.size === 0 ? piece.toString('utf8') : Buffer.concat([...this.parts, piece]).toString('utf8'));
      this.parts = [];
      this.size = 0;
      start = end + 1;
    }
    const rest = chunk.subarray(start);
    if (rest.length > 0) {
      if (this.size + rest.length > this.maxLineBytes) return this.overflow(lines);
      this.parts.push(Buffer.from(rest)); // a copy: the stream may reuse its buffer
      this.size += rest.length;
    }
    return lines;
  }

  private overflow(lines: string[]): string[] {
    this.overflowed = true;
    this.parts = [];
    this.size = 0;
    return lines;
  }
}
