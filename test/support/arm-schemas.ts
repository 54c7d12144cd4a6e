import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { ErrorObject, ValidateFunction } from 'ajv';
import AjvDraft04 from 'ajv-draft-04';

const schemaHost = 'https://schema.management.azure.com/schemas/';

type Schema = Record<string, unknown>;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : name.endsWith('.json') ? [path] : [];
  });
}

/**
 * The official ARM JSON schemas (draft-04) kept in infra/arm-schemas, loaded under their own ids. The template
 * schema names every provider's resources; only the providers the template uses are kept, so its generic
 * `resource` is checked against the resource base and each resource against its provider's definition.
 */
export class ArmSchemas {
  private readonly ajv = new AjvDraft04.default({ strict: false, allErrors: true, validateFormats: false });

  constructor(private readonly folder: string) {
    for (const file of files(folder)) {
      const schema = JSON.parse(readFileSync(file, 'utf8')) as Schema;
      if (file.endsWith(join('2019-04-01', 'deploymentTemplate.json'))) {
        const definitions = schema.definitions as Record<string, Schema>;
        definitions.resource = { $ref: '#/definitions/resourceBase' };
      }
      this.ajv.addSchema(schema, `${schemaHost}${relative(folder, file).split('\\').join('/')}`);
    }
  }

  /** Errors of the whole template against deploymentTemplate.json. */
  template(template: unknown): ErrorObject[] {
    return this.check(`${schemaHost}2019-04-01/deploymentTemplate.json#`, template);
  }

  parameters(parameters: unknown): ErrorObject[] {
    return this.check(`${schemaHost}2019-04-01/deploymentParameters.json#`, parameters);
  }

  /** Errors of one resource against `{apiVersion}/{Provider}.json#/resourceDefinitions/{type path}`. */
  resource(resource: { type: string; apiVersion: string }): ErrorObject[] | 'no schema' {
    const [provider, ...path] = resource.type.split('/');
    const file = `${resource.apiVersion}/${provider}.json`;
    const candidates = [file, `${resource.apiVersion}/${provider}.Application.json`];
    for (const candidate of candidates) {
      const id = `${schemaHost}${candidate}#/resourceDefinitions/${path.join('_')}`;
      let validate: ValidateFunction | undefined;
      try {
        validate = this.ajv.getSchema(id);
      } catch {
        validate = undefined;
      }
      if (validate) return validate(resource) ? [] : (validate.errors ?? []);
    }
    return 'no schema';
  }

  private check(id: string, value: unknown): ErrorObject[] {
    const validate = this.ajv.getSchema(id);
    if (!validate) throw new Error(`No schema ${id} in ${this.folder}.`);
    return validate(value) ? [] : (validate.errors ?? []);
  }
}
