import type { OpenAIFile, Upload } from '../../core/wire.js';
import type { StoredFile, StoredUpload } from '../../store/store.js';

export function serializeFile(f: StoredFile): OpenAIFile {
  return {
    id: f.id,
    object: 'file',
    bytes: f.bytes,
    created_at: f.created_at,
    expires_at: f.expires_at,
    filename: f.filename,
    purpose: f.purpose,
    status: f.status,
    status_details: f.status_details,
  };
}

export function serializeUpload(u: StoredUpload, file: StoredFile | undefined): Upload {
  return {
    id: u.id,
    object: 'upload',
    bytes: u.bytes,
    created_at: u.created_at,
    filename: u.filename,
    purpose: u.purpose,
    status: u.status,
    expires_at: u.expires_at,
    file: file ? serializeFile(file) : null,
  };
}
