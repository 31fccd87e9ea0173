/** Markdown tables of the results in `dir` (bench/README.md's generated section). */
export function tables(dir: string): string;
/** `readme` with its generated section replaced by `markdown`. */
export function withTables(readme: string, markdown: string): string;
