/**
 * A real terminal for the command: a detached tmux session on a private server socket,
 * whose pane can be captured (with or without escape codes) while the command runs.
 */
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export function tmuxAvailable(): boolean {
  return spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;
}

export class Tmux {
  private readonly socket = `atomicfs-test-${process.pid}-${Date.now()}`;

  private tmux(...args: string[]): Promise<{ stdout: string }> {
    return run('tmux', ['-L', this.socket, '-f', '/dev/null', ...args]);
  }

  private opened: Promise<unknown> | undefined;

  /** A 120x12 session whose windows stay after their command ends (to read the last screen). */
  private open(): Promise<unknown> {
    this.opened ??= this.tmux(
      'new-session',
      '-d',
      '-s',
      'test',
      '-n',
      'idle',
      '-x',
      '120',
      '-y',
      '12',
      'sleep 600',
    ).then(() => this.tmux('set-option', '-g', 'remain-on-exit', 'on'));
    return this.opened;
  }

  /** Starts `shellCommand` in a new window named `name`, with extra environment variables. */
  async start(name: string, shellCommand: string, env: Record<string, string> = {}): Promise<void> {
    await this.open();
    const vars = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    await this.tmux('new-window', '-d', '-t', 'test', '-n', name, ...vars, shellCommand);
  }

  /** The pane's text with its scrolled-off history, wrapped lines joined; with `escapes`, with colour codes. */
  async capture(name: string, escapes = false): Promise<string> {
    const { stdout } = await this.tmux(
      'capture-pane',
      '-p',
      '-J',
      '-S',
      '-',
      ...(escapes ? ['-e'] : []),
      '-t',
      `test:${name}`,
    );
    return stdout;
  }

  async stop(): Promise<void> {
    await this.tmux('kill-server').catch(() => undefined);
  }
}
