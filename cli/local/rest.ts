/**
 * A minimal JSON client for the Kubernetes REST API, configured by @kubernetes/client-node's
 * KubeConfig (server, CA and client certificate). Writes go through here rather than the typed
 * client-node APIs because those re-serialize bodies through their models, which silently drop
 * fields the model does not know; local mode and its tests must send and read objects exactly.
 */
import { KubeApiError, KubeEndpoint, type Json, type KubeResponse } from '../../common/kube-rest';

/** A Status answer (or a transport failure) from the API server. */
export { KubeApiError as ApiError };
export type { Json };
export type ApiResponse = KubeResponse;

export class RestClient {
  private constructor(private readonly endpoint: KubeEndpoint) {}

  static async fromKubeconfig(file: string): Promise<RestClient> {
    return new RestClient(await KubeEndpoint.fromKubeconfig(file));
  }

  /** Send one request; non-2xx answers become ApiError with the server's message. */
  request(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<ApiResponse> {
    return this.endpoint.request(method, path, body, contentType);
  }

  get(path: string): Promise<ApiResponse> {
    return this.request('GET', path);
  }
}
