/**
 * Holds API answers to docs/openapi.json: the schema of a component, compiled once for every test file
 * that checks bodies against it.
 */
import { readFileSync } from 'node:fs';
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { expect } from 'vitest';
import { OPENAPI_PATH } from '../../shared/selfcare/openapi.js';

const Ajv2020 = Ajv2020Module.default;
const addFormats = addFormatsModule.default;
const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);
ajv.addSchema(JSON.parse(readFileSync(OPENAPI_PATH, 'utf8')) as object, 'openapi');

/** Fails the test when a body does not match the schema docs/openapi.json gives it. */
export function expectDocumented(component: string, body: unknown): void {
  const validate = ajv.getSchema(`openapi#/components/schemas/${component}`);
  if (validate === undefined) throw new Error(`no component ${component} in docs/openapi.json`);
  const valid = validate(body);
  expect(valid ? [] : validate.errors).toEqual([]);
}
