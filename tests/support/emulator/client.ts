/**
 * A small HTTPS client that trusts the emulator's CA explicitly. NODE_EXTRA_CA_CERTS is read once at
 * process start, before any emulator exists, so code in the test process passes the CA per request.
 */
import * as https from 'node:https';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body parsed as JSON, or the text when it is not JSON (undefined when empty). */
  body: unknown;
}

export interface HttpCall {
  method: string;
  url: string;
  ca: string;
  headers?: Record<string, string>;
  body?: string;
}

export function httpsRequest(call: HttpCall): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const request = https.request(call.url, { method: call.method, ca: call.ca, headers: call.headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text === '' ? undefined : text;
        try {
          body = text === '' ? undefined : JSON.parse(text);
        } catch {
          // not JSON; keep the text
        }
        resolve({ status: response.statusCode ?? 0, headers: response.headers, text, body });
      });
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(call.body);
  });
}
