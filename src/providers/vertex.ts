import type { GoogleGenAI } from '@google/genai';
import { GoogleProvider } from './google.js';

/**
 * Gemini on Vertex AI (`vertex:<model>`): @google/genai in Vertex mode, with the project and location
 * of the entry (or GOOGLE_CLOUD_PROJECT / GOOGLE_CLOUD_LOCATION) and Google Cloud credentials found the
 * SDK's usual way (Application Default Credentials). The request body is Gemini's: GoogleProvider's.
 */
export class VertexProvider extends GoogleProvider {
  protected override async createClient(): Promise<GoogleGenAI> {
    const { GoogleGenAI: Client } = await import('@google/genai');
    const vertex = this.settings.vertex!;
    return new Client({
      vertexai: true,
      project: vertex.project,
      location: vertex.location,
      httpOptions: { timeout: this.settings.timeoutMs, ...(this.settings.baseUrl !== undefined && { baseUrl: this.settings.baseUrl }) },
    });
  }
}
