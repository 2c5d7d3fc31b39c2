/**
 * Files a merchant uploads (Stripe's `POST /v1/files`): today only dispute evidence. What a file
 * is, which purposes and types are taken and how big it may be, in one place. The type is read
 * from the bytes themselves (their magic number), never from what the client says it sent.
 */

export const FILE_PURPOSES = ['dispute_evidence'] as const;
export type FilePurpose = (typeof FILE_PURPOSES)[number];

/** Stripe's `type` of each kind of file taken, its media type and how its bytes begin. */
export const FILE_TYPES = {
  pdf: { mime: 'application/pdf', magic: [0x25, 0x50, 0x44, 0x46] }, // %PDF
  png: { mime: 'image/png', magic: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  jpg: { mime: 'image/jpeg', magic: [0xff, 0xd8, 0xff] },
} as const;
export type FileType = keyof typeof FILE_TYPES;

/** Stripe's limit for dispute evidence: 5 MB (5 × 1024 × 1024 bytes). */
export const MAX_FILE_BYTES = 5 * 1024 * 1024;

export const ACCEPTED_TYPES_TEXT = 'PDF, PNG or JPEG';

export interface FileRecord {
  id: string;
  account_id: string;
  livemode: boolean;
  created: number;
  /** Stripe's dispute evidence files never expire. */
  expires_at: number | null;
  filename: string | null;
  purpose: FilePurpose;
  size: number;
  title: string | null;
  type: FileType;
  /** SHA-256 of the bytes, hex. */
  sha256: string;
}

/** The type of a file, from its first bytes; undefined for anything not taken. */
export function detectFileType(bytes: Uint8Array): FileType | undefined {
  for (const [type, { magic }] of Object.entries(FILE_TYPES) as [FileType, (typeof FILE_TYPES)[FileType]][]) {
    if (bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b)) return type;
  }
  return undefined;
}
