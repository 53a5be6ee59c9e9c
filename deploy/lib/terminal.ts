// Questions on the terminal: a secret is typed without echo (raw mode: the terminal shows
// nothing, not even asterisks), a yes/no answer is echoed. One reader for the whole run, so
// answers typed ahead (or pasted together) go to the right question.
import type { ReadStream } from "node:tty";

/** `ask(prompt, hidden)` on `input` (a TTY), prompts on `output`. */
export function terminalAsk(input: ReadStream, output: NodeJS.WritableStream) {
  let buffered = "";
  /** Lines typed before their question was asked (typed ahead or pasted together). */
  const ahead: string[] = [];
  let waiting: ((line: string) => void) | undefined;
  let echo = false;
  const onData = (chunk: string) => {
    for (const char of chunk) {
      if (char === "\u0003") {
        // Ctrl-C in raw mode arrives as a character: stop as the terminal would.
        input.setRawMode(false);
        output.write("\n");
        process.exit(130);
      }
      if (char === "\r" || char === "\n") {
        const line = buffered;
        buffered = "";
        if (waiting === undefined) ahead.push(line);
        else {
          const resolve = waiting;
          waiting = undefined;
          output.write("\n");
          resolve(line);
        }
      } else if (char === "\u007f" || char === "\b") buffered = buffered.slice(0, -1);
      else {
        buffered += char;
        if (echo) output.write(char);
      }
    }
  };
  return {
    ask: (prompt: string, hidden: boolean): Promise<string> => {
      // Raw mode before the prompt: what is typed once the prompt shows is never echoed.
      input.setRawMode(true);
      output.write(prompt);
      const typed = ahead.shift();
      if (typed !== undefined) {
        input.setRawMode(false);
        output.write("\n");
        return Promise.resolve(typed);
      }
      echo = !hidden;
      input.setEncoding("utf8");
      input.on("data", onData);
      input.resume();
      return new Promise<string>((resolve) => {
        waiting = resolve;
      }).finally(() => {
        input.off("data", onData);
        input.setRawMode(false);
        input.pause();
      });
    },
  };
}
