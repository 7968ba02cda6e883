/**
 * Reading a config file: JSON, or YAML by its extension.
 * @module
 */
import * as fs from 'node:fs';
import { parse as parseYaml } from 'yaml';

/** The parsed content of a config file (`.json`, or `.yaml`/`.yml`); errors name the file. */
export function readConfigFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`Cannot read config file ${file}: ${(e as Error).message}`);
  }
  if (/\.ya?ml$/i.test(file)) {
    try {
      return parseYaml(text);
    } catch (e) {
      throw new Error(`Config ${file} is not valid YAML: ${(e as Error).message}`);
    }
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`Config ${file} is not valid JSON: ${(e as Error).message}`);
  }
}
