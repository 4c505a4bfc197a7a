import { readFileSync } from 'node:fs';

/** `schema/sigscan-report.schema.json`, shipped in the package (resolved from src/report or dist/report). */
export const REPORT_SCHEMA_URL = new URL('../../schema/sigscan-report.schema.json', import.meta.url);

export function reportSchemaText(): string {
  return readFileSync(REPORT_SCHEMA_URL, 'utf8');
}

export interface SchemaCheck {
  valid: boolean;
  /** `instancePath: message` lines, at most 20. */
  errors: string[];
}

let validator: ((doc: unknown) => SchemaCheck) | undefined;

/** Validates a parsed document against the report schema (ajv, draft 2020-12; compiled once). */
export async function validateReportDocument(doc: unknown): Promise<SchemaCheck> {
  if (!validator) {
    const { Ajv2020 } = await import('ajv/dist/2020.js');
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    const validate = ajv.compile(JSON.parse(reportSchemaText()) as object);
    validator = (d) => {
      const valid = validate(d);
      return {
        valid,
        errors: (validate.errors ?? [])
          .slice(0, 20)
          .map((e) => `${e.instancePath || '/'}: ${e.message ?? 'invalid'}`),
      };
    };
  }
  return validator(doc);
}
