// The sample pictures shipped in scripts/samples/ (public domain, 512 px; credits in its README), so
// that scripts need no image from outside the repository.
import path from 'node:path';

const SAMPLES_DIR = path.resolve(import.meta.dirname, '../samples');

/** A painting used as the content image: Turner, The Shipwreck (1805). */
export const SAMPLE_CONTENT = path.join(SAMPLES_DIR, 'shipwreck.jpg');
/** The classic style image: van Gogh, The Starry Night (1889). */
export const SAMPLE_STYLE = path.join(SAMPLES_DIR, 'starry_night.jpg');
