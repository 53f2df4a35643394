/** `merge <files…> --out F`: JSON and YAML inputs merged (later wins), written atomically. */
import { Option, type Command } from 'commander';
import { mergeConfigs } from '../index.js';
import { toJson } from './json-value.js';
import { runCommand } from './run.js';
import { loadSchema } from './schema-file.js';
import { addWriteFlags, writeOptions, type WriteFlags } from './write-options.js';

interface MergeFlags extends WriteFlags {
  out: string;
  strategy: 'deep' | 'shallow';
  schema?: string;
}

export function registerMerge(program: Command): void {
  const cmd = program
    .command('merge <files...>')
    .description('merge JSON/YAML files in order (later wins) into --out, written atomically')
    .requiredOption('--out <file>', 'the file to write (.json, .yaml or .yml)')
    .addOption(
      new Option('--strategy <how>', 'deep: merge nested objects; shallow: top-level keys only')
        .choices(['deep', 'shallow'])
        .default('deep'),
    )
    .option('--schema <file>', 'JSON Schema (JSON or YAML) the result must match; checked before writing')
    .addHelpText(
      'after',
      '\nExample:\n  atomicfs merge defaults.yaml site.yaml local.json --out config.json --schema config.schema.json',
    );
  addWriteFlags(cmd).action((files: string[], flags: MergeFlags) =>
    runCommand({ command: 'merge', json: flags.json, failure: 'atomic', interrupts: 'abort' }, async (ctx) => {
      const schema = flags.schema === undefined ? undefined : await loadSchema(flags.schema);
      const r = await mergeConfigs(files, flags.out, {
        ...writeOptions(flags, ctx.signal),
        strategy: flags.strategy,
        schema,
      });
      return {
        data: {
          files,
          out: flags.out,
          strategy: flags.strategy,
          path: r.path,
          bytes: r.bytes,
          sha256: r.sha256,
          value: toJson(r.value),
        },
        text: `merged ${files.length} files into ${r.path} (sha256 ${r.sha256})`,
      };
    }),
  );
}
