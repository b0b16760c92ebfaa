// Validates CSAF 2.0 documents with the BSI validator library (npm @secvisogram/csaf-validator-lib):
// the strict CSAF 2.0 schema and every mandatory test of §6.1. Prints each failure; exit 1 if any.
// Usage: NODE_MODULES=… node .ci/csaf-validate.mjs FILE...
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

const lib = join(process.env.NODE_MODULES, '@secvisogram/csaf-validator-lib')
const { default: validateStrict } = await import(join(lib, 'validateStrict.js'))
const mandatory = await import(join(lib, 'mandatoryTests.js'))
const { csaf_2_0_strict } = await import(join(lib, 'schemaTests.js'))

const tests = [csaf_2_0_strict, ...Object.values(mandatory)]
let failed = false
for (const file of process.argv.slice(2)) {
  const document = JSON.parse(readFileSync(file, 'utf8'))
  const result = await validateStrict(tests, document)
  const errors = result.tests.flatMap((t) => t.errors.map((e) => `${t.name}: ${e.instancePath} ${e.message}`))
  if (!result.isValid || errors.length > 0) {
    failed = true
    console.error(`${file}: invalid (${errors.length} errors)`)
    for (const e of errors) console.error(`  ${e}`)
  } else {
    console.log(`${file}: valid (${result.tests.length} tests)`)
  }
}
process.exit(failed ? 1 : 0)
