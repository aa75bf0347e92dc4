/**
 * The inventory report's schema (tests/schemas/inventory-report.schema.json, vendored from the
 * project's shared schemas, JSON Schema 2020-12), compiled once with ajv: every tier that reads a report validates it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { strict as assert } from 'node:assert';
import Ajv2020 from 'ajv/dist/2020';

let validate: ReturnType<Ajv2020['compile']> | undefined;

/** Fails naming every place the report departs from the schema. */
export function validateInventoryReport(report: unknown): void {
  if (!validate) {
    const schema = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'tests', 'schemas', 'inventory-report.schema.json'), 'utf8')) as object;
    // ajv knows no formats of its own (ajv-formats is not installed): date-time is a date Date.parse reads with its zone.
    const dateTime = (value: string): boolean => /T.*(Z|[+-]\d\d:\d\d)$/.test(value) && Number.isFinite(Date.parse(value));
    validate = new Ajv2020({ allErrors: true, strict: false, formats: { 'date-time': dateTime } }).compile(schema);
  }
  const valid = validate(report);
  assert.ok(valid, `the report validates against tests/schemas/inventory-report.schema.json: ${JSON.stringify(validate.errors, null, 2)}`);
}
