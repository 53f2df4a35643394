/** JSON Schemas given on the command line or in a plan: a .json, .yaml or .yml file. */
import { readJson, readYaml, type JsonSchema } from '../index.js';

export async function loadSchema(path: string): Promise<JsonSchema> {
  return /\.ya?ml$/i.test(path) ? readYaml<JsonSchema>(path) : readJson<JsonSchema>(path);
}
