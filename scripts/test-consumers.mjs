// `npm run test:consumers`: atomicfs as its users get it. Packs the tarball (from the
// current build), installs it into throw-away consumer projects, and checks:
//   - publint and @arethetypeswrong/cli (attw --pack) find no problem with the package;
//   - require('atomicfs') works on every Node line that can require an ES module (20, 22,
//     24, 26: see node-builds.mjs), and gives the very module that import() gives;
//   - on a Node that cannot (20.18), require('atomicfs') fails with our message saying so;
//   - TypeScript projects type-check and run, compiled as CommonJS (module commonjs, and
//     module nodenext in a CommonJS package) and as ES modules (nodenext, "type": "module").
// Exit status 0 only if every check passed. Run after `npm run build`.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { envFor, nodeFor, npm, run, versionOf } from './node-builds.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const LINES = [20, 22, 24, 26];
/** The newest Node 20 before require(esm) was on by default: where require must fail with our message. */
const TOO_OLD = '20.18.3';
const failures = [];

function check(name, ok, detail = '') {
  console.error(`${ok ? 'ok  ' : 'FAIL'} ${name}${ok || !detail ? '' : `\n${detail}`}`);
  if (!ok) failures.push(name);
}

function capture(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', ...opts });
  if (r.error) throw r.error;
  return { status: r.status ?? 1, out: `${r.stdout}${r.stderr}` };
}

if (!existsSync(join(root, 'dist', 'src', 'index.js'))) {
  console.error('test-consumers: no build in dist/src; run `npm run build` first');
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), 'atomicfs-consumers-'));
try {
  // The package as published.
  check(
    'publint',
    run(process.execPath, [join(root, 'node_modules', 'publint', 'src', 'cli.js'), '--strict'], { cwd: root }) === 0,
  );
  check(
    'attw --pack',
    run(process.execPath, [join(root, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js'), '--pack', '.'], {
      cwd: root,
    }) === 0,
  );
  const packed = capture(npm, ['pack', '--silent', '--pack-destination', work], { cwd: root });
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
  if (packed.status !== 0 || !tarball) throw new Error(`npm pack failed:\n${packed.out}`);

  /** A consumer project with the tarball installed; `type` is its package.json "type". */
  function consumer(name, type) {
    const dir = join(work, name);
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true, type }, null, 2));
    const r = capture(
      npm,
      ['install', '--no-audit', '--no-fund', '--no-package-lock', '--prefer-offline', join(work, tarball)],
      { cwd: dir },
    );
    if (r.status !== 0) throw new Error(`npm install in ${name} failed:\n${r.out}`);
    return dir;
  }

  // require() and import() at run time, on every line.
  const plain = consumer('plain', 'commonjs');
  const script = `
    const a = require('atomicfs');
    if (typeof a.writeFile !== 'function' || typeof a.transaction !== 'function') throw new Error('exports missing');
    import('atomicfs').then(async (m) => {
      if (m.writeFile !== a.writeFile) throw new Error('require and import gave two copies of the module');
      const r = await a.writeFile('out.txt', 'hi', { sha256: true });
      process.stdout.write(JSON.stringify({ bytes: r.bytes, sha256: r.sha256.length }));
    });`;
  for (const line of LINES) {
    const node = nodeFor(line);
    const r = capture(node, ['-e', script], { cwd: plain, env: envFor(node) });
    check(
      `require('atomicfs') on Node ${versionOf(node)}`,
      r.status === 0 && r.out.trim() === '{"bytes":2,"sha256":64}',
      r.out,
    );
  }
  const old = nodeFor(TOO_OLD);
  const r = capture(old, ['-e', "require('atomicfs')"], { cwd: plain, env: envFor(old) });
  check(
    `require('atomicfs') on Node ${versionOf(old)} fails saying why`,
    r.status !== 0 && r.out.includes('cannot require() one') && r.out.includes("import('atomicfs')"),
    r.out,
  );

  // TypeScript consumers: type-check, compile, run.
  const source = `
    import { writeFile, readFile, transaction, AtomicError, type HashedWriteResult, type WriteResult } from 'atomicfs';
    async function main(): Promise<void> {
      const plain: WriteResult = await writeFile('a.txt', 'a');
      const hashed: HashedWriteResult = await writeFile('b.txt', 'b', { sha256: true });
      const tx = await transaction({ root: '.' });
      tx.writeFile('c.txt', 'c');
      await tx.commit();
      const text: string = await readFile('c.txt', { encoding: 'utf8' });
      if (!(new AtomicError('EINVAL', 'x') instanceof Error)) throw new Error('AtomicError is no Error');
      console.log(JSON.stringify({ plain: plain.bytes, hashed: hashed.sha256.length, text }));
    }
    main().catch((err: unknown) => { console.error(err); process.exit(1); });`;
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const typeRoots = [join(root, 'node_modules', '@types')];
  const kinds = [
    { name: 'ts-commonjs', type: 'commonjs', options: { module: 'commonjs' } },
    { name: 'ts-nodenext-cjs', type: 'commonjs', options: { module: 'nodenext' } },
    { name: 'ts-nodenext-esm', type: 'module', options: { module: 'nodenext' } },
  ];
  for (const k of kinds) {
    const dir = consumer(k.name, k.type);
    writeFileSync(join(dir, 'main.ts'), source);
    const compilerOptions = {
      target: 'es2022',
      strict: true,
      outDir: 'out',
      rootDir: '.',
      types: ['node'],
      typeRoots,
      ...k.options,
    };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['main.ts'] }, null, 2));
    const built = capture(process.execPath, [tsc, '-p', '.'], { cwd: dir });
    check(`TypeScript, ${k.name}: type-checks`, built.status === 0, built.out);
    if (built.status !== 0) continue;
    const ran = capture(process.execPath, ['out/main.js'], { cwd: dir });
    check(
      `TypeScript, ${k.name}: runs`,
      ran.status === 0 && ran.out.trim() === '{"plain":1,"hashed":64,"text":"c"}',
      ran.out,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

console.error(
  failures.length
    ? `\ntest-consumers: ${failures.length} failed: ${failures.join('; ')}`
    : '\ntest-consumers: all passed',
);
process.exit(failures.length ? 1 : 0);
