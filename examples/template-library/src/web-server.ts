/** Acme's web server: a pool of Fedora VMs behind the pod network, sized from the u1 series. */
import type { Construct } from 'constructs';
import { VmTemplate } from 'virtkit/constructs';

/** Parameters of a web tier. */
export interface WebServerTemplateProps {
  /**
   * Root disk image.
   * @default 'quay.io/containerdisks/fedora:40'
   * @example 'registry.acme.example/web/fedora:40-nginx'
   */
  readonly image?: string;
  /**
   * Instancetype of each VM.
   * @default 'u1.medium'
   * @example 'u1.large'
   */
  readonly size?: string;
  /**
   * Number of web VMs.
   * @default 2
   * @example 4
   */
  readonly replicas?: number;
  /**
   * Namespace.
   * @default - the chart's namespace
   * @example 'web'
   */
  readonly namespace?: string;
  /**
   * Name of the pool.
   * @default - derived from the construct path
   * @example 'storefront'
   */
  readonly name?: string;
  /**
   * Secret with the cloud-init user-data that installs the site.
   * @default - none (the image serves a default page)
   * @example 'storefront-cloud-init'
   */
  readonly userDataSecret?: string;
}

/**
 * A pool of web server VMs.
 *
 * @example new WebServerTemplate(chart, 'storefront', { size: 'u1.large', replicas: 3 })
 */
export class WebServerTemplate extends VmTemplate {
  public constructor(scope: Construct, id: string, props: WebServerTemplateProps = {}) {
    super(scope, id, {
      image: props.image ?? 'quay.io/containerdisks/fedora:40',
      size: props.size ?? 'u1.medium',
      os: 'fedora',
      replicas: props.replicas ?? 2,
      name: props.name,
      namespace: props.namespace,
      userDataSecret: props.userDataSecret,
      labels: { 'acme.example/tier': 'web' },
    });
    this.workload.addTemplateAnnotation('acme.example/owner', 'web-platform');
  }
}
