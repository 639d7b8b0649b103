/** The storage port for the instance's settings: values written once, read often. */

export interface SettingStore {
  getSetting(key: string): Promise<string | null>;
  /** Stores the value unless the key already has one; returns the value now stored. */
  putSettingIfAbsent(key: string, value: string): Promise<string>;
}
