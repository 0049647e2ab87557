/**
 * The L1 child every virtkit construct owns: a cdk8s ApiObject that remembers whether
 * JSON patches were applied and, when none were and the body is plain data, synthesizes
 * without cdk8s's token resolution (same output, much cheaper for large fleets).
 */
import { ApiObject, type ApiObjectProps, type JsonPatch } from 'cdk8s';
import type { Construct } from 'constructs';
import { plainSorted } from '../../api/render/plain-json';

/** Produces the object's top-level body fields (today `{ spec }`). */
export interface IBodyRenderer {
  renderBodyForSynth(): { [key: string]: unknown };
}

export class KubeVirtApiObject extends ApiObject {
  private patchCount = 0;

  public constructor(
    scope: Construct,
    id: string,
    props: ApiObjectProps,
    private readonly renderer: IBodyRenderer,
  ) {
    super(scope, id, props);
  }

  public override addJsonPatch(...ops: JsonPatch[]): void {
    this.patchCount += ops.length;
    super.addJsonPatch(...ops);
  }

  /** Whether escape-hatch patches were applied (then only cdk8s's toJson shows the output). */
  public get hasPatches(): boolean {
    return this.patchCount > 0;
  }

  // `any` as in cdk8s's ApiObject: jsii refuses an override that narrows the return type.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  public override toJson(): any {
    if (this.hasPatches || process.env.CDK8S_DISABLE_SORT) return super.toJson() as unknown;
    const body = plainSorted(this.renderer.renderBodyForSynth());
    if (body === undefined) return super.toJson() as unknown;
    const metadata = this.metadata.toJson() as { [key: string]: unknown };
    return { apiVersion: this.apiVersion, kind: this.kind, metadata, ...body };
  }
}
