/**
 * Collects what a call wrote straight to fd 1 or 2 (C code, os.write, subprocesses) with a byte cap, and
 * notices the driver's end-of-call marker so the call's raw output is complete before the call returns.
 */
export class RawStreamCollector {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  /** Bytes over the cap, dropped. */
  dropped = 0;
  markerSeen = false;
  private window = "";
  private readonly marker: string;
  private readonly cap: number;
  private readonly onMarker: () => void;

  constructor(marker: string, cap: number, onMarker: () => void) {
    this.marker = marker;
    this.cap = cap;
    this.onMarker = onMarker;
  }

  /** Feeds a chunk; bytes after the marker belong to no call and are ignored. */
  push(chunk: Buffer): void {
    if (this.markerSeen) return;
    // latin1 maps bytes 1:1 to chars, so indexes in the window are byte offsets.
    const text = chunk.toString("latin1");
    const joined = this.window + text;
    const at = joined.indexOf(this.marker);
    let useful = chunk;
    if (at >= 0) {
      const beforeInChunk = at - this.window.length;
      useful = beforeInChunk > 0 ? chunk.subarray(0, beforeInChunk) : Buffer.alloc(0);
      if (beforeInChunk < 0) this.trimKept(-beforeInChunk);
    } else {
      this.window = joined.slice(-(this.marker.length - 1));
    }
    this.keep(useful);
    if (at >= 0) {
      this.markerSeen = true;
      this.onMarker();
    }
  }

  private keep(bytes: Buffer): void {
    const room = this.cap - this.kept;
    if (bytes.length <= room) {
      if (bytes.length > 0) this.chunks.push(bytes);
      this.kept += bytes.length;
    } else {
      if (room > 0) this.chunks.push(bytes.subarray(0, room));
      this.kept += Math.max(room, 0);
      this.dropped += bytes.length - Math.max(room, 0);
    }
  }

  /** The marker started in the previous chunk: that chunk's tail was marker, not output. */
  private trimKept(bytes: number): void {
    let remaining = bytes;
    while (remaining > 0 && this.chunks.length > 0) {
      const last = this.chunks[this.chunks.length - 1] as Buffer;
      if (last.length <= remaining) {
        this.chunks.pop();
        this.kept -= last.length;
        remaining -= last.length;
      } else {
        this.chunks[this.chunks.length - 1] = last.subarray(0, last.length - remaining);
        this.kept -= remaining;
        remaining = 0;
      }
    }
  }

  text(): string {
    return Buffer.concat(this.chunks).toString("utf8");
  }
}
