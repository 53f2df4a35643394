/**
 * Colour only on a terminal and never when NO_COLOR is set (https://no-color.org: any
 * non-empty value). Off a terminal the output carries no escape codes at all.
 */
export interface Paint {
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  bold(text: string): string;
}

export function colourWanted(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  const noColor = env.NO_COLOR;
  return stream.isTTY === true && (noColor === undefined || noColor === '');
}

function sgr(on: boolean, open: number, close: number): (text: string) => string {
  return on ? (text) => `\u001b[${open}m${text}\u001b[${close}m` : (text) => text;
}

export function paintFor(stream: { isTTY?: boolean }): Paint {
  const on = colourWanted(stream);
  return { red: sgr(on, 31, 39), green: sgr(on, 32, 39), yellow: sgr(on, 33, 39), bold: sgr(on, 1, 22) };
}
