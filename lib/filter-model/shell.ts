// Just enough POSIX shell to read a pasted command line and to write one safely.
// Reading: words split on blanks; '…' literal; "…" with \" \\ \$ \` escapes; \x outside quotes;
// backslash-newline continues the line. Parameter expansion is not performed (`$NS` stays as is).
// An unquoted | ; & < > ( ) ends the command: what follows belongs to another program.

export class ShellSyntaxError extends Error {}

export interface ShellWords {
  words: string[];
  /** Text after the first unquoted operator (pipe, redirect, `;`, `&&`), if any. */
  rest: string | undefined;
}

const OPERATOR = new Set(["|", ";", "&", "<", ">", "(", ")"]);

export function splitShellWords(text: string): ShellWords {
  const words: string[] = [];
  let word: string | undefined;
  let i = 0;
  const push = () => {
    if (word !== undefined) words.push(word);
    word = undefined;
  };
  while (i < text.length) {
    const c = text[i];
    if (c === "\\") {
      if (text[i + 1] === "\n") {
        i += 2;
        continue;
      }
      if (text[i + 1] === "\r" && text[i + 2] === "\n") {
        i += 3;
        continue;
      }
      if (i + 1 >= text.length) throw new ShellSyntaxError("the command ends with a lone backslash");
      word = (word ?? "") + text[i + 1];
      i += 2;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new ShellSyntaxError("a single quote (') is not closed");
      word = (word ?? "") + text.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      let j = i + 1;
      let chunk = "";
      for (;;) {
        if (j >= text.length) throw new ShellSyntaxError('a double quote (") is not closed');
        const d = text[j];
        if (d === '"') break;
        if (d === "\\" && j + 1 < text.length && '"\\$`\n'.includes(text[j + 1])) {
          if (text[j + 1] !== "\n") chunk += text[j + 1];
          j += 2;
          continue;
        }
        chunk += d;
        j++;
      }
      word = (word ?? "") + chunk;
      i = j + 1;
    } else if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      push();
      i++;
    } else if (OPERATOR.has(c)) {
      push();
      return { words, rest: text.slice(i).trim() };
    } else {
      word = (word ?? "") + c;
      i++;
    }
  }
  push();
  return { words, rest: undefined };
}

const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quotes one argument for a POSIX shell; plain words stay unquoted. */
export function quoteShellWord(s: string): string {
  if (SAFE_WORD.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
