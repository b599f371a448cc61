/**
 * A scan of a rejected YAML file for `${{ }}` written unquoted inside a flow mapping or list,
 * the commonest reason such a file does not parse, so that the issue can say to quote it.
 *
 * @module
 */

/**
 * Offsets of every `${{` that stands unquoted inside a flow mapping or list (`{ }`, `[ ]`),
 * where YAML reads its braces as nested mappings, grouped by the outermost flow collection
 * they are in. A small scanner of its own: it runs only on a file the parser rejected, so it
 * knows quotes, comments and block scalars, not all of YAML.
 *
 * @example
 * ```ts
 * import { unquotedFlowExpressions } from "./flow_scan.ts";
 * unquotedFlowExpressions("env: { A: ${{ x }}, B: \"${{ y }}\", C: ${{ z }} }"); // [[10, 38]]
 * ```
 */
export function unquotedFlowExpressions(text: string): number[][] {
  const found: number[][] = [];
  let group: number[] = [];
  let depth = 0;
  let quote: string | undefined;
  let blockIndent = -1;
  let offset = 0;
  for (const line of text.split("\n")) {
    const start = offset;
    offset += line.length + 1;
    const indent = line.length - line.trimStart().length;
    if (blockIndent >= 0) {
      if (line.trim() === "" || indent > blockIndent) continue;
      blockIndent = -1;
    }
    if (
      depth === 0 && !quote &&
      /^\s*(?:-\s+)*(?:[^\s#][^#]*?:\s+)?[|>][-+0-9]*\s*(?:#.*)?$/.test(line)
    ) {
      blockIndent = indent;
      continue;
    }
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (quote) {
        if (quote === "'" && c === "'") {
          if (line[i + 1] === "'") i++;
          else quote = undefined;
        } else if (quote === '"') {
          if (c === "\\") i++;
          else if (c === '"') quote = undefined;
        }
        continue;
      }
      if (c === "#" && (i === 0 || /\s/.test(line[i - 1]))) break;
      if (c === " " || c === "\t") continue;
      // Is this the first character of a value (where quotes and flow collections begin)?
      let j = i - 1;
      while (j >= 0 && (line[j] === " " || line[j] === "\t")) j--;
      const prev = j < 0 ? "" : line[j];
      const valueStart = prev === "" || "[{,".includes(prev) ||
        (":-?".includes(prev) && j < i - 1 && (j === 0 || /[\s\w"'\]}]/.test(line[j - 1] ?? "")));
      if ((c === '"' || c === "'") && valueStart) {
        quote = c;
        continue;
      }
      if (depth === 0) {
        if ((c === "{" || c === "[") && valueStart) {
          depth++;
          group = [];
        }
        continue;
      }
      if (c === "$" && line.startsWith("${{", i)) {
        if (group.length === 0) found.push(group);
        group.push(start + i);
        const close = line.indexOf("}}", i + 3);
        i = close < 0 ? line.length : close + 1;
      } else if (c === "{" || c === "[") depth++;
      else if (c === "}" || c === "]") depth = Math.max(0, depth - 1);
    }
  }
  return found;
}
