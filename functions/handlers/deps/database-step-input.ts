/** The input of every per-database step (ASL Map ItemSelector `{group, database}`). */
export interface DatabaseStepInput {
  readonly group: string;
  readonly database: string;
}
