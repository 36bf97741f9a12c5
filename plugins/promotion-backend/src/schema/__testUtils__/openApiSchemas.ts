import Ajv2020, { ErrorObject, ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

/** The parts of an OpenAPI 3.1 document the tests read. */
export interface OpenApiDocument {
  openapi: string;
  servers: Array<{ url: string }>;
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, unknown> };
}

export interface OpenApiParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema: Record<string, unknown>;
}

export interface OpenApiOperation {
  operationId: string;
  /** Says who may call it: users only, or users and services (pipelines). */
  description?: string;
  security?: unknown[];
  parameters?: OpenApiParameter[];
  requestBody?: {
    required?: boolean;
    content: Record<string, { schema: Record<string, unknown> }>;
  };
  responses: Record<
    string,
    {
      description: string;
      content?: Record<string, { schema: Record<string, unknown> }>;
    }
  >;
}

/** An operation of the document found for a request. */
export interface MatchedOperation {
  method: string;
  pathTemplate: string;
  /** JSON pointer of the operation in the document. */
  pointer: string;
  operation: OpenApiOperation;
  pathParams: Record<string, string>;
}

export interface SchemaCheck {
  valid: boolean;
  errors: ErrorObject[];
}

const DOCUMENT_ID = 'https://promotion.invalid/openapi.json';

/** Escapes one segment of a JSON pointer used as a URI fragment. */
export function pointerSegment(segment: string): string {
  return encodeURIComponent(segment.replace(/~/g, '~0').replace(/\//g, '~1'));
}

/**
 * Validates values against the schemas of an OpenAPI 3.1 document with Ajv's
 * JSON Schema 2020-12 dialect (the dialect of OpenAPI 3.1 schema objects),
 * in strict mode and with formats. `$ref`s to `#/components/schemas/…`
 * resolve inside the document.
 */
export class OpenApiSchemas {
  readonly document: OpenApiDocument;
  readonly #ajv: Ajv2020;
  readonly #validators = new Map<string, ValidateFunction>();

  constructor(document: OpenApiDocument) {
    this.document = document;
    this.#ajv = new Ajv2020({ strict: true, allErrors: true });
    addFormats(this.#ajv);
    // The document itself is the schema resource the pointers and `$ref`s
    // point into; its OpenAPI fields are no JSON Schema keywords.
    this.#ajv.addVocabulary(
      Object.keys(document).filter(key => !key.startsWith('$')),
    );
    this.#ajv.addSchema({ ...structuredClone(document), $id: DOCUMENT_ID });
  }

  /** The server URL prefix of the paths (`/api/promotion`). */
  get basePath(): string {
    return new URL(this.document.servers[0].url, 'http://base.invalid')
      .pathname;
  }

  /** Compiles (once) the schema at a JSON pointer of the document. */
  validatorAt(pointer: string): ValidateFunction {
    let validate = this.#validators.get(pointer);
    if (!validate) {
      validate = this.#ajv.compile({ $ref: `${DOCUMENT_ID}#${pointer}` });
      this.#validators.set(pointer, validate);
    }
    return validate;
  }

  check(pointer: string, value: unknown): SchemaCheck {
    const validate = this.validatorAt(pointer);
    const valid = validate(value) as boolean;
    return { valid, errors: valid ? [] : [...(validate.errors ?? [])] };
  }

  /** Validates a schema object against the JSON Schema 2020-12 meta-schema. */
  checkSchemaObject(schema: unknown): SchemaCheck {
    const valid = this.#ajv.validateSchema(schema as object) as boolean;
    return { valid, errors: valid ? [] : [...(this.#ajv.errors ?? [])] };
  }

  /**
   * Finds the operation for a method and a URL path (with the server prefix),
   * with the decoded path parameters; undefined when the document has none.
   */
  findOperation(method: string, urlPath: string): MatchedOperation | undefined {
    if (!urlPath.startsWith(`${this.basePath}/`)) {
      return undefined;
    }
    const path = urlPath.slice(this.basePath.length);
    for (const [pathTemplate, operations] of Object.entries(
      this.document.paths,
    )) {
      const names: string[] = [];
      const pattern = new RegExp(
        `^${pathTemplate
          .split(/(\{[A-Za-z]+\})/)
          .map(part => {
            const name = /^\{([A-Za-z]+)\}$/.exec(part)?.[1];
            if (name) {
              names.push(name);
              return '([^/]+)';
            }
            return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          })
          .join('')}$`,
      );
      const match = pattern.exec(path);
      const operation = operations[method.toLowerCase()];
      if (match && operation) {
        return {
          method: method.toLowerCase(),
          pathTemplate,
          pointer: `/paths/${pointerSegment(
            pathTemplate,
          )}/${method.toLowerCase()}`,
          operation,
          pathParams: Object.fromEntries(
            names.map((name, i) => [name, decodeURIComponent(match[i + 1])]),
          ),
        };
      }
    }
    return undefined;
  }
}
