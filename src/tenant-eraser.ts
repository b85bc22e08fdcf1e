/**
 * Removes one kind of a tenant's data kept outside its Redis prefix, and says how many items it
 * removed. Features provide one each; `createApp` receives the list (see src/deps.ts).
 */
export type TenantEraser = { name: string; erase(tenantId: string): Promise<number> }
