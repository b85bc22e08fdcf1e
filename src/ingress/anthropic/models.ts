/**
 * @module
 * The model list in Anthropic's shape, for Anthropic clients (they send `anthropic-version` on
 * every request): `GET /v1/models` and `GET /v1/models/{id}` answer both dialects.
 */

export type OpenAIModel = { id: string; created: number }

export type AnthropicModel = {
  type: 'model'
  id: string
  display_name: string
  created_at: string
}

export const ANTHROPIC_VERSION_HEADER = 'anthropic-version'

export function anthropicModel(model: OpenAIModel): AnthropicModel {
  return {
    type: 'model',
    id: model.id,
    display_name: model.id,
    created_at: new Date(model.created * 1000).toISOString(),
  }
}

/** One page with everything: the catalog is small, so there is never a next page. */
export function anthropicModelList(models: OpenAIModel[]) {
  const data = models.map(anthropicModel)
  return {
    data,
    has_more: false,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
  }
}
