/** Where a run stands, reported about once a second. */
export interface CurationProgress {
  /** Rows decided, this run and earlier ones. */
  done: number;
  total: number;
  kept: number;
  rejected: number;
  errors: number;
  /** Rows decided per second in this run. */
  rowsPerSecond: number;
  /** Seconds left at the current rate; undefined before the first row. */
  etaSeconds: number | undefined;
}

/** One progress line for stderr. */
export function formatProgress(progress: CurationProgress): string {
  const percent = progress.total === 0 ? 100 : (100 * progress.done) / progress.total;
  const eta = progress.etaSeconds === undefined ? "?" : formatDuration(progress.etaSeconds);
  return `hdpo-curate: ${progress.done}/${progress.total} rows (${percent.toFixed(1)}%), kept ${progress.kept}, rejected ${progress.rejected}, errors ${progress.errors}, ${progress.rowsPerSecond.toFixed(1)} rows/s, ETA ${eta}`;
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
