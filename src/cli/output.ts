/**
 * What a command prints. With --json: exactly one JSON document on stdout, whose fields
 * are stable (`ok`, `command`, then the command's own fields; on failure `error`).
 * Without: human lines on stdout, errors on stderr.
 */
import { paintFor, type Paint } from './colour.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue | undefined };

export interface CommandResult {
  /** The fields of the --json document (besides `ok` and `command`). */
  data: { [key: string]: JsonValue | undefined };
  /** The human-readable output (without the final newline); empty for none. */
  text: string;
}

export interface ErrorReport {
  code: string;
  /** The code of the underlying error, when it differs (a failed transaction's cause, say). */
  causeCode?: string | undefined;
  message: string;
  path?: string | undefined;
  /** Whether the change was undone (true), could not be undone (false), or n/a. */
  rolledBack?: boolean | undefined;
  /** What this means for the files, in one sentence. */
  outcome?: string | undefined;
}

export class Output {
  readonly json: boolean;
  readonly paint: Paint;
  readonly errPaint: Paint;

  constructor(json: boolean) {
    this.json = json;
    this.paint = paintFor(process.stdout);
    this.errPaint = paintFor(process.stderr);
  }

  success(command: string, result: CommandResult): void {
    if (this.json) this.writeJson({ ok: true, command, ...result.data });
    else if (result.text !== '') process.stdout.write(result.text + '\n');
  }

  /** The error on stderr (always) and, with --json, the failure document on stdout. */
  failure(command: string, report: ErrorReport): void {
    const codes = report.causeCode === undefined ? report.code : `${report.code} (${report.causeCode})`;
    const label = this.errPaint.red(`atomicfs ${command}: error ${codes}`);
    const outcome = report.outcome === undefined ? '' : `\n${this.errPaint.yellow(report.outcome)}`;
    process.stderr.write(`${label}: ${report.message}${outcome}\n`);
    if (this.json) this.writeJson({ ok: false, command, error: { ...report } });
  }

  /** A note for the user on stderr (never on stdout, which may carry --json). */
  note(text: string): void {
    process.stderr.write(text + '\n');
  }

  private writeJson(doc: JsonValue): void {
    process.stdout.write(JSON.stringify(doc) + '\n');
  }
}
