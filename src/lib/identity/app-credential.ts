/** A certificate in Key Vault that an app registration holds the public half of. */
export interface VaultCertificate {
  /** The Key Vault key of this certificate version (`…/keys/{name}/{version}`): it signs, its private half never leaves. */
  keyUrl: string;
  /** The certificate, DER, base64. */
  certificate: string;
}

/** How an app registration proves itself to Entra: a client secret, or a certificate whose key Key Vault holds. */
export type ClientProof =
  | { secret: string; certificate?: undefined }
  | { certificate: VaultCertificate; secret?: undefined };

/** What an app-only token needs: the tenant, the app (client id) and its proof. */
export type AppCredential = { tenantId: string; clientId: string } & ClientProof;

/** What tells two credentials apart: the secret itself, or the certificate version's key. Never to be shown. */
export const proofIdentity = (proof: ClientProof): string => proof.secret ?? proof.certificate.keyUrl;
