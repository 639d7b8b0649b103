/** The storage port for SSO tokens: only the record that each one's single use is spent. */

export interface SsoTokenStore {
  /** The record of the SSO token's use, if it was used (kept until shortly after the token expires). */
  findSsoTokenUse(jti: string): Promise<{ jti: string; usedAt: number; expiresAt: number } | null>;
}
