/** The storage port for the instance's settings: each value written once, by whichever instance gets there first. */

export interface SettingStore {
  /** Stores the value unless the key already has one; returns the value now stored. */
  putSettingIfAbsent(key: string, value: string): Promise<string>;
}
