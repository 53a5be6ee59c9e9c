/**
 * An admin CLI's table: rows under a header line, columns padded to line up, an empty field
 * shown as `-`. The apps' CLIs print with it, so their tables read alike.
 */
export function textTable(
  headers: readonly string[],
  rows: readonly (readonly (string | null | undefined)[])[],
): string[] {
  const cells = [
    headers,
    ...rows.map((row) => row.map((field) => (field === null || field === undefined || field === "" ? "-" : field))),
  ];
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => row[column]?.length ?? 0)));
  return cells.map((row) =>
    row
      .map((field, column) => (column === row.length - 1 ? field : field.padEnd(widths[column] ?? 0)))
      .join("  ")
      .trimEnd(),
  );
}
