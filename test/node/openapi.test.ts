import { Validator } from '@seriousme/openapi-schema-validator'
import { describe, expect, it } from 'vitest'
import { openApiDocument } from '../../src/openapi/document'

// In Node: the validator reads its meta-schemas from disk and compiles them with Ajv, neither of
// which workerd allows. test/openapi.test.ts checks, in workerd, that the app serves this document.
describe('OpenAPI document (validated with @seriousme/openapi-schema-validator)', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const document = JSON.parse(openApiDocument())
    expect(document.openapi).toBe('3.1.0')
    const result = await new Validator().validate(document)
    expect(result.errors).toBeUndefined()
    expect(result.valid).toBe(true)
  })
})
