/** Every signature blob found for one image, shared by its evidence so the policy is evaluated per image. */
export interface SimpleSigningImageSignatures {
  blobs: Uint8Array[];
}

/** What the trust layer needs from the detector: the exact blob and its siblings on the same image. */
export interface SimpleSigningMaterial {
  blob: Uint8Array;
  image: SimpleSigningImageSignatures;
}
