import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';

interface Operation {
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}
export type OpenApiDocument = { paths: Record<string, Record<string, Operation>>; components?: Record<string, unknown> };

/**
 * Keywords of JSON Schema 2020-12 that Ajv 6 (draft-07, the Ajv already locked in this repository)
 * would silently ignore. The document uses none today; should one appear, every check refuses to
 * run rather than pass without looking.
 */
const keywordsAjv6CannotCheck = ['prefixItems', '$defs', 'unevaluatedProperties', 'unevaluatedItems', 'dependentSchemas', 'dependentRequired', '$dynamicRef', '$dynamicAnchor', 'minContains', 'maxContains'];

function findKeyword(value: unknown, path: string): string | undefined {
  const stack: [unknown, string][] = [[value, path]];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [v, p] = next;
    if (!v || typeof v !== 'object') continue;
    for (const [k, child] of Object.entries(v)) {
      if (keywordsAjv6CannotCheck.includes(k)) return `${p}/${k}`;
      stack.push([child, `${p}/${k}`]);
    }
  }
  return undefined;
}

const jsonMedia = (type: string) => type === 'application/json' || type.endsWith('+json');

/**
 * Checks answers against the service's own OpenAPI document: the operation the method and path name
 * must declare the status, the media type must be one it declares, and a JSON body must validate
 * against the declared schema. Answers to paths the document does not name (pages, /docs, unknown
 * paths) and methods it does not declare (405) are not its business. Returns what is wrong, or
 * undefined.
 */
export function responseChecker(document: OpenApiDocument) {
  const unsupported = findKeyword(document, '#');
  if (unsupported) throw new Error(`the OpenAPI document uses ${unsupported}, which the response check (Ajv 6, draft-07) cannot validate`);
  const ajv = new Ajv({ allErrors: true, unknownFormats: 'ignore', validateSchema: false, missingRefs: true });
  const templates = Object.keys(document.paths)
    .map((template) => ({
      template,
      params: (template.match(/\{/g) ?? []).length,
      pattern: new RegExp(`^${template.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+')}$`),
    }))
    // A literal segment wins over a parameter: /v1/redemptions/redeem before /v1/redemptions/{id}.
    .sort((a, b) => a.params - b.params);
  const validators = new Map<string, ValidateFunction>();

  return (method: string, url: string, status: number, contentType: string | null, text: string, body: unknown): string | undefined => {
    const path = url.split('?')[0]!;
    const match = templates.find((t) => t.pattern.test(path));
    if (!match) return undefined;
    const operation = document.paths[match.template]![method.toLowerCase()];
    if (!operation) return undefined;
    const responses = operation.responses ?? {};
    const declared = responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses.default;
    if (!declared) return `${method} ${match.template} does not declare ${status} (it declares ${Object.keys(responses).join(', ')})`;
    if (!text) return undefined;
    const media = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
    const content = declared.content ?? {};
    const entry = content[media] ?? content['*/*'];
    if (!entry) return `${method} ${match.template} ${status} answered ${media || 'no content type'}; it declares ${Object.keys(content).join(', ') || 'no content'}`;
    if (!jsonMedia(media) || entry.schema === undefined) return undefined;
    const key = `${method} ${match.template} ${status} ${media}`;
    let validate = validators.get(key);
    if (!validate) {
      validate = ajv.compile({ ...(entry.schema as object), components: document.components });
      validators.set(key, validate);
    }
    if (validate(body)) return undefined;
    const errors = (validate.errors ?? []).slice(0, 5).map((e: ErrorObject) => `${e.dataPath || '(body)'} ${e.message ?? ''}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
    return `${method} ${match.template} ${status} body does not match its schema: ${errors.join('; ')}`;
  };
}
