/**
 * @module
 * Multipart upload of .txt, .md and .html files: each file becomes a document whose id and title
 * come from its file name. An optional `metadata` field (JSON) applies to every file.
 */
import type { Context } from 'hono'
import type { AppEnv } from '../env'
import { GatewayError } from '../errors'
import { safeJsonParse } from '../lib/json'
import { readLimitedBytes } from '../lib/json-body'
import { validate } from '../lib/validate'
import { type DocumentInput, DocumentsSchema } from './documents'

const FORMATS: Record<string, 'text' | 'markdown' | 'html'> = {
  txt: 'text',
  text: 'text',
  md: 'markdown',
  markdown: 'markdown',
  html: 'html',
  htm: 'html',
}

export async function readUploadedDocuments<E extends AppEnv>(
  c: Context<E>
): Promise<DocumentInput[]> {
  const form = await new Response(
    await readLimitedBytes(c.req.raw.body, c.var.config.maxBodyBytes),
    {
      headers: { 'content-type': c.req.header('content-type') ?? '' },
    }
  )
    .formData()
    .catch(() => {
      throw new GatewayError(400, 'The multipart body could not be parsed.', {
        code: 'invalid_multipart',
      })
    })
  const metadataField = form.get('metadata')
  const metadata = typeof metadataField === 'string' ? safeJsonParse(metadataField) : undefined
  const documents: unknown[] = []
  for (const [field, value] of form.entries()) {
    if (typeof value === 'string') continue
    const extension = /\.([A-Za-z]+)$/.exec(value.name)?.[1]?.toLowerCase() ?? ''
    const format = FORMATS[extension]
    if (!format) {
      throw new GatewayError(415, `File '${value.name}' is not .txt, .md or .html.`, {
        param: field,
        code: 'unsupported_file_type',
      })
    }
    documents.push({
      id: value.name
        .replace(/^[^A-Za-z0-9]+/, '')
        .replace(/[^\w.:@=+-]/g, '-')
        .slice(0, 200),
      title: value.name,
      [format]: await value.text(),
      ...(metadata === undefined ? {} : { metadata }),
    })
  }
  if (documents.length === 0) {
    throw new GatewayError(400, 'The multipart body has no files.', { code: 'invalid_request' })
  }
  return validate(DocumentsSchema(), { documents }).documents
}
