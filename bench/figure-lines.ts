/** One figure a benchmark prints: a time (`ms`, maybe as a ratio to its floor) or counts. */
export type FigureLine = { figure: string; ms?: number; ratioToFloor?: number } & Record<string, unknown>;

/** Prints the figures as JSON lines (for scripts), then a heading and a table (for people). */
export function printFigures(lines: FigureLine[], heading: string, width = 52): void {
  for (const line of lines) console.log(JSON.stringify(line));
  console.log(`\n${heading}\n`);
  for (const line of lines) {
    const figure =
      line.ms !== undefined
        ? `${(line.ms / 1000).toFixed(1)} s`
        : JSON.stringify({ ...line, figure: undefined });
    const ratio = line.ratioToFloor !== undefined ? `  ${line.ratioToFloor.toFixed(2)}x floor` : '';
    console.log(`${line.figure.padEnd(width)} ${figure}${ratio}`);
  }
}
