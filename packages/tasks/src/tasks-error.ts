/** The error `@hdpo/tasks` throws for bad options: its message says what was wrong and what to do instead. */
export class TasksError extends Error {
  override readonly name: string = "TasksError";
}

/** A dataset row that cannot become a task: names the file, the row (1-based), the column and what was expected. */
export class DatasetError extends TasksError {
  override readonly name = "DatasetError";

  constructor(
    readonly file: string,
    readonly row: number | undefined,
    readonly column: string | undefined,
    readonly problem: string,
  ) {
    const where = [
      row === undefined ? undefined : `row ${row}`,
      column === undefined ? undefined : `column "${column}"`,
    ]
      .filter((part) => part !== undefined)
      .join(", ");
    super(`${file}${where === "" ? "" : ` (${where})`}: ${problem}`);
  }
}
