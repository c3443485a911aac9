/** The named properties of an object, typed as TypeScript's Pick. */
export function pick<T, K extends keyof T>(from: T, keys: readonly K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((k) => [k, from[k]])) as Pick<T, K>;
}

/** The `family` field of each definition of a tuple, as a tuple of their literal types. */
export type FamilyNames<T extends readonly unknown[]> = { readonly [K in keyof T]: T[K] extends { family: infer F } ? F : never };

/** The families of a registry's definitions, in definition order, typed as the tuple of their names. */
export const familyNames = <T extends readonly { family: string }[]>(definitions: T): FamilyNames<T> => definitions.map((d) => d.family) as unknown as FamilyNames<T>;
