// The chat request validator, compiled ahead of time: Ajv (JSON Schema 2020-12) turns the contract's
// ChatCompletionRequest into plain JavaScript at `npm run gen`, so a request is checked by straight-line
// code on every runtime, with no schema interpretation per request and no eval (Workers forbid it).
// The schema is the one the HTTP layer's reference validator reads: the document's component schemas
// with each discriminated oneOf rewritten (expandDiscriminators in service/src/http/validation.ts).
import Ajv2020 from "ajv/dist/2020.js";
import standaloneCode from "ajv/dist/standalone/index.js";

// Ajv's standalone output still `require`s this helper; the generated module inlines its own.
const UCS2_REQUIRE = /const (\w+) = require\("ajv\/dist\/runtime\/ucs2length"\)\.default;/;
const UCS2_INLINE = `function $1(str) {
  // string length in code points, as JSON Schema counts it (a surrogate pair is one)
  let n = 0;
  for (let i = 0; i < str.length; i++, n++) {
    const c = str.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < str.length && (str.charCodeAt(i + 1) & 0xfc00) === 0xdc00) i++;
  }
  return n;
}`;

const EXPORTS = /export const validate = (\w+);export default \w+;/;

/** The TypeScript module text of a validator for `#/components/schemas/<name>`. */
export function validatorModule(header, schemas, name) {
  const ajv = new Ajv2020({ strict: false, validateFormats: false, code: { source: true, esm: true } });
  const validate = ajv.compile({
    $id: "petrel",
    components: { schemas },
    $ref: `#/components/schemas/${name}`,
  });
  let code = standaloneCode(ajv, validate).replace(/^"use strict";/, "");
  if (/require\(/.test(code.replace(UCS2_REQUIRE, ""))) throw new Error("unexpected require in Ajv's output");
  code = code.replace(UCS2_REQUIRE, UCS2_INLINE);
  const fn = EXPORTS.exec(code)?.[1];
  if (!fn) throw new Error("Ajv's standalone output changed shape: no validate export");
  return (
    header +
    "// @ts-nocheck\n" +
    `// Accepts exactly what ${name} in the contract allows (true) or not (false); the reference validator\n` +
    "// names the failing field. Compiled by Ajv at `npm run gen` (scripts/gen-validator.mjs).\n" +
    code.replace(EXPORTS, "") +
    `\nexport const is${name} = (body: unknown): boolean => ${fn}(body) === true;\n`
  );
}
