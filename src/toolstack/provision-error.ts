// The refusals of pre-provisioning (provision-extent.ts) and of its image= files (image-source.ts).
export class ProvisionError extends Error {
  constructor(readonly code: "provision.foreign-labels" | "provision.media" | "provision.image" | "provision.image-denied", message: string, readonly hint?: string) {
    super(message);
    this.name = "ProvisionError";
  }
}
