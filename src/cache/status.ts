/** What the cache did for one answer, as `x-cache` reports it. */
export type CacheStatus = 'HIT' | 'SEMANTIC-HIT' | 'MISS' | 'BYPASS' | 'REFRESH'
