import type { Credentials, ProviderAdapter } from '../providers/types'
import type { Target } from './catalog-schema'

/** A catalog target resolved for one caller: the adapter to speak and the credentials to send. */
export type PreparedTarget = Target & { adapter: ProviderAdapter; credentials: Credentials }
